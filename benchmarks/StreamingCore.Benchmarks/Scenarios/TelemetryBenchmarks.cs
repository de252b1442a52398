using System.Diagnostics;
using System.Diagnostics.Metrics;
using BenchmarkDotNet.Attributes;
using Microsoft.Extensions.Logging.Abstractions;
using StreamingCore.Benchmarks.Infrastructure;

namespace StreamingCore.Benchmarks.Scenarios;

/// <summary>
/// Goal 7: the store with no listener against the same store with a MeterListener and an ActivityListener
/// attached; and the dormant telemetry calls of one delta on their own (what "no listener" costs per event).
/// </summary>
[MemoryDiagnoser]
public class TelemetryBenchmarks
{
    private const int Events = 10_000;

    private StoreDriver _store = null!;
    private MeterListener? _meterListener;
    private ActivityListener? _activityListener;
    private ChatStreamingTelemetry _telemetry = null!;
    private ResponseLog _response = null!;
    private ChatStreamingEvent _delta;

    [GlobalSetup(Targets = [nameof(NoListener), nameof(DormantTelemetryPerDelta)])]
    public void SetupQuiet()
    {
        _store = new StoreDriver(conversations: 1, subscribersPerConversation: 1);
        var started = ChatStreamingEvent.Started("c").Stamp(new ChatStreamOrigin("c", "e1"), 1, DateTimeOffset.UnixEpoch);
        _response = new ResponseLog(new Conversation("c", TimeProvider.System), started, 0, TimeProvider.System);
        _delta = ChatStreamingEvent.Delta("c", "tok").Stamp(new ChatStreamOrigin("c", "e1"), 2, DateTimeOffset.UnixEpoch);
        _response.Append(_delta, 0, null);
        _response.Append(_delta, 0, null);
        _telemetry = new ChatStreamingTelemetry(null, NullLogger.Instance);
    }

    [GlobalSetup(Target = nameof(WithListeners))]
    public void SetupListening()
    {
        _meterListener = new MeterListener
        {
            InstrumentPublished = (instrument, listener) =>
            {
                if (instrument.Meter.Name == StreamingCoreDiagnostics.MeterName)
                {
                    listener.EnableMeasurementEvents(instrument);
                }
            },
        };
        _meterListener.SetMeasurementEventCallback<long>(static (_, _, _, _) => { });
        _meterListener.SetMeasurementEventCallback<double>(static (_, _, _, _) => { });
        _meterListener.Start();
        _activityListener = new ActivityListener
        {
            ShouldListenTo = s => s.Name == StreamingCoreDiagnostics.ActivitySourceName,
            Sample = (ref ActivityCreationOptions<ActivityContext> _) => ActivitySamplingResult.AllDataAndRecorded,
        };
        ActivitySource.AddActivityListener(_activityListener);
        _store = new StoreDriver(conversations: 1, subscribersPerConversation: 1);
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        _meterListener?.Dispose();
        _activityListener?.Dispose();
        _store.Dispose();
    }

    [Benchmark(Baseline = true, OperationsPerInvoke = Events, Description = "store, no listener")]
    public async Task<long> NoListener()
    {
        long sum = 0;
        for (int i = 0; i < Events; i++)
        {
            sum += await _store.PublishAndReceiveAsync(0);
        }

        return sum;
    }

    [Benchmark(OperationsPerInvoke = Events, Description = "store, MeterListener + ActivityListener")]
    public Task<long> WithListeners() => NoListener();

    [Benchmark(OperationsPerInvoke = Events, Description = "dormant telemetry of one delta alone")]
    public int DormantTelemetryPerDelta()
    {
        for (int i = 0; i < Events; i++)
        {
            _telemetry.DeltaPublished(_response, _delta);
        }

        return _response.DeltaCount;
    }
}
