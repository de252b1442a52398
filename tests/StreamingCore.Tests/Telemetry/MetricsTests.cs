using System.Diagnostics.Metrics;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.Metrics.Testing;
using Microsoft.Extensions.Time.Testing;
using NUnit.Framework;
using StreamingCore.Tests.Support;

namespace StreamingCore.Tests.Telemetry;

/// <summary>Each instrument's values for a scripted response, through a real IMeterFactory from DI.</summary>
public class MetricsTests
{
    private ServiceProvider _services = null!;
    private FakeTimeProvider _time = null!;
    private DefaultChatStreamingStore _store = null!;

    [SetUp]
    public void SetUp()
    {
        _time = new FakeTimeProvider();
        _services = new ServiceCollection()
            .AddMetrics()
            .AddSingleton<TimeProvider>(_time)
            .AddChatStreaming(o => { o.SubscriberCapacity = 2; o.SubscriberOverflow = OverflowStrategy.DropOldest; o.IdleTimeout = TimeSpan.FromSeconds(10); })
            .Services.BuildServiceProvider();
        _store = _services.GetRequiredService<DefaultChatStreamingStore>();
    }

    [TearDown]
    public void TearDown()
    {
        // The container owns the store; disposing both says so to the analyzer.
        _store.Dispose();
        _services.Dispose();
    }

    private MetricCollector<T> Collect<T>(string instrument)
        where T : struct
        => new(_services.GetRequiredService<IMeterFactory>(), StreamingCoreDiagnostics.MeterName, instrument, _time);

    [Test]
    public void Timings_are_recorded_in_seconds_exactly_as_the_clock_moved()
    {
        using MetricCollector<double> firstDelta = Collect<double>(StreamingCoreDiagnostics.TimeToFirstDelta);
        using MetricCollector<double> perDelta = Collect<double>(StreamingCoreDiagnostics.TimePerDelta);
        using MetricCollector<double> duration = Collect<double>(StreamingCoreDiagnostics.ResponseDuration);

        _store.Publish(ChatStreamingEvent.Started("c"));
        _time.Advance(TimeSpan.FromMilliseconds(250));
        _store.Publish(ChatStreamingEvent.Delta("c", "Hello "));
        _time.Advance(TimeSpan.FromMilliseconds(500));
        _store.Publish(ChatStreamingEvent.Delta("c", "world"));
        _time.Advance(TimeSpan.FromMilliseconds(250));
        _store.Publish(ChatStreamingEvent.Finished("c"));

        Assert.Multiple(() =>
        {
            Assert.That(firstDelta.GetMeasurementSnapshot().Select(m => m.Value), Is.EqualTo(new[] { 0.25 }));
            Assert.That(perDelta.GetMeasurementSnapshot().Select(m => m.Value), Is.EqualTo(new[] { 0.5 }));
            Assert.That(duration.LastMeasurement!.Value, Is.EqualTo(1.0));
            Assert.That(duration.LastMeasurement.Tags[StreamingCoreDiagnostics.OutcomeTag], Is.EqualTo("finished"));
        });
    }

    [Test]
    public void Histograms_advertise_the_GenAI_streaming_buckets()
    {
        using MetricCollector<double> duration = Collect<double>(StreamingCoreDiagnostics.ResponseDuration);
        Histogram<double> histogram = (Histogram<double>)duration.Instrument!;

        Assert.Multiple(() =>
        {
            Assert.That(histogram.Unit, Is.EqualTo("s"));
            Assert.That(histogram.Advice!.HistogramBucketBoundaries, Is.EqualTo(new[] { 0.01, 0.02, 0.04, 0.08, 0.16, 0.32, 0.64, 1.28, 2.56, 5.12, 10.24, 20.48, 40.96, 81.92 }));
        });
    }

    // Levels are observable instruments: read when the collector asks.
    private static long Level(MetricCollector<long> collector)
    {
        collector.RecordObservableInstruments();
        return collector.LastMeasurement!.Value;
    }

    [Test]
    public async Task Counters_follow_responses_deltas_characters_subscribers_drops_and_rejections()
    {
        using MetricCollector<long> active = Collect<long>(StreamingCoreDiagnostics.ActiveResponses);
        using MetricCollector<long> deltas = Collect<long>(StreamingCoreDiagnostics.Deltas);
        using MetricCollector<long> characters = Collect<long>(StreamingCoreDiagnostics.Characters);
        using MetricCollector<long> subscribers = Collect<long>(StreamingCoreDiagnostics.Subscribers);
        using MetricCollector<long> dropped = Collect<long>(StreamingCoreDiagnostics.DroppedEvents);
        using MetricCollector<long> rejected = Collect<long>(StreamingCoreDiagnostics.RejectedEvents);

        _store.Publish(ChatStreamingEvent.Started("c"));
        await using (IAsyncEnumerator<ChatStreamingEvent> stalled = _store.SubscribeAsync("c").GetAsyncEnumerator(TestGuard.Token))
        {
            Assert.That(await stalled.MoveNextAsync(), Is.True);
            Assert.That(Level(subscribers), Is.EqualTo(1));
            Assert.That(Level(active), Is.EqualTo(1));
            foreach (string piece in new[] { "ab", "cde", "f", "gh" })
            {
                _store.Publish(ChatStreamingEvent.Delta("c", piece));
            }
        }

        Assert.Throws<ChatStreamingException>(() => _store.Publish(ChatStreamingEvent.Started("c")));
        _store.Publish(ChatStreamingEvent.Finished("c"));

        Assert.Multiple(() =>
        {
            Assert.That(Level(active), Is.Zero);
            Assert.That(deltas.GetMeasurementSnapshot().Sum(m => m.Value), Is.EqualTo(4));
            Assert.That(characters.GetMeasurementSnapshot().Sum(m => m.Value), Is.EqualTo(8));
            Assert.That(Level(subscribers), Is.Zero);

            // Capacity 2: of the four deltas, the two oldest were dropped.
            Assert.That(dropped.GetMeasurementSnapshot().Sum(m => m.Value), Is.EqualTo(2));
            Assert.That(dropped.LastMeasurement!.Tags[StreamingCoreDiagnostics.OverflowStrategyTag], Is.EqualTo("drop_oldest"));
            Assert.That(rejected.LastMeasurement!.Value, Is.EqualTo(1));
            Assert.That(rejected.LastMeasurement.Tags[StreamingCoreDiagnostics.ErrorTypeTag], Is.EqualTo("response_already_started"));
        });
    }

    [Test]
    public void An_idle_eviction_is_recorded_with_its_outcome()
    {
        using MetricCollector<double> duration = Collect<double>(StreamingCoreDiagnostics.ResponseDuration);
        _store.Publish(ChatStreamingEvent.Started("c"));
        _time.Advance(TimeSpan.FromSeconds(10));

        Assert.That(duration.LastMeasurement!.Value, Is.EqualTo(10.0));
        Assert.That(duration.LastMeasurement.Tags[StreamingCoreDiagnostics.OutcomeTag], Is.EqualTo("idle_timeout"));
    }
}
