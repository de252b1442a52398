using System.Diagnostics.Metrics;

namespace StreamingCore.Redis.Internal;

/// <summary>The Redis scale-out's instruments, on the core's <c>StreamingCore</c> meter.</summary>
internal sealed class RedisTelemetry
{
    private static readonly Meter s_sharedMeter = new(StreamingCoreDiagnostics.MeterName);

    private readonly Histogram<double> _writeDuration;
    private readonly Counter<long> _eventsWritten;
    private readonly Counter<long> _gapsRepaired;
    private readonly Counter<long> _responsesLost;

    public RedisTelemetry(IMeterFactory? meterFactory, Func<long> outboxLength)
    {
        Meter meter = meterFactory?.Create(new MeterOptions(StreamingCoreDiagnostics.MeterName)) ?? s_sharedMeter;
        meter.CreateObservableUpDownCounter(RedisStreamingDiagnostics.OutboxLength, outboxLength, "{event}", "Events waiting on this instance to be written to Redis.");
        _writeDuration = meter.CreateHistogram<double>(RedisStreamingDiagnostics.WriteDuration, "s", "Duration of one write of a batch of events to Redis.");
        _eventsWritten = meter.CreateCounter<long>(RedisStreamingDiagnostics.EventsWritten, "{event}", "Events written to Redis.");
        _gapsRepaired = meter.CreateCounter<long>(RedisStreamingDiagnostics.GapsRepaired, "{gap}", "Gaps in the live events repaired by reading the stream.");
        _responsesLost = meter.CreateCounter<long>(RedisStreamingDiagnostics.ResponsesLost, "{response}", "Responses of this instance that Redis no longer accepted (keys lost, or ended by another instance).");
    }

    public void WriteCompleted(TimeSpan duration, int events)
    {
        _writeDuration.Record(duration.TotalSeconds);
        _eventsWritten.Add(events);
    }

    public void GapRepaired() => _gapsRepaired.Add(1);

    public void ResponseLost() => _responsesLost.Add(1);
}
