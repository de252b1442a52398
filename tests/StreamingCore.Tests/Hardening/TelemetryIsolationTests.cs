using System.Diagnostics;
using System.Diagnostics.Metrics;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Time.Testing;
using NSubstitute;
using NUnit.Framework;
using StreamingCore.Tests.Support;

namespace StreamingCore.Tests.Hardening;

/// <summary>Finding 2: telemetry, logging and callbacks never break a publish; a publish is all or nothing.</summary>
public class TelemetryIsolationTests
{
    [Test]
    public async Task A_throwing_meter_listener_loses_no_text_and_publishes_each_delta_once()
    {
        using ServiceProvider services = new ServiceCollection().AddMetrics().BuildServiceProvider();
        IMeterFactory meters = services.GetRequiredService<IMeterFactory>();
        using var store = new DefaultChatStreamingStore(timeProvider: new FakeTimeProvider(), meterFactory: meters);
        int deltas = 0;
        using var listener = new MeterListener
        {
            InstrumentPublished = (instrument, l) =>
            {
                if (instrument.Meter.Scope == meters)
                {
                    l.EnableMeasurementEvents(instrument);
                }
            },
        };
        listener.SetMeasurementEventCallback<long>((instrument, _, _, _) =>
        {
            if (instrument.Name == StreamingCoreDiagnostics.Deltas && ++deltas == 2)
            {
                throw new InvalidOperationException("exporter bug");
            }
        });
        listener.Start();

        store.Publish(ChatStreamingEvent.Started("c"));
        Task<List<ChatStreamingEvent>> live = store.SubscribeAsync("c").ToListAsync();
        store.Publish(ChatStreamingEvent.Delta("c", "a"));
        Assert.DoesNotThrow(() => store.Publish(ChatStreamingEvent.Delta("c", "b")));
        store.Publish(ChatStreamingEvent.Delta("c", "c"));
        store.Publish(ChatStreamingEvent.Finished("c"));

        List<ChatStreamingEvent> received = await live.Guarded();
        List<ChatStreamingEvent> replay = await store.SubscribeAsync("c", 0).ToListAsync();
        Assert.Multiple(() =>
        {
            Assert.That(ContractEvents.TextOf(received), Is.EqualTo("abc"));
            Assert.That(ContractEvents.Sequences(received), Is.EqualTo(new long[] { 1, 2, 3, 4, 5 }));
            Assert.That(replay, Is.EqualTo(received));
            Assert.That(store.TelemetryFailureCount, Is.EqualTo(1));
        });
    }

    [Test]
    public async Task A_throwing_activity_listener_or_logger_breaks_no_publish()
    {
        using var activities = new ActivityListener
        {
            ShouldListenTo = s => s.Name == StreamingCoreDiagnostics.ActivitySourceName,
            Sample = (ref ActivityCreationOptions<ActivityContext> _) => ActivitySamplingResult.AllDataAndRecorded,
            ActivityStarted = _ => throw new InvalidOperationException("tracer bug"),
            ActivityStopped = _ => throw new InvalidOperationException("tracer bug"),
        };
        ActivitySource.AddActivityListener(activities);
        ILogger<DefaultChatStreamingStore> logger = Substitute.For<ILogger<DefaultChatStreamingStore>>();
        logger.IsEnabled(Arg.Any<LogLevel>()).Returns(true);
        logger.When(l => l.Log(Arg.Any<LogLevel>(), Arg.Any<EventId>(), Arg.Any<Arg.AnyType>(), Arg.Any<Exception?>(), Arg.Any<Func<Arg.AnyType, Exception?, string>>()))
            .Do(_ => throw new InvalidOperationException("logger bug"));
        using var store = new DefaultChatStreamingStore(timeProvider: new FakeTimeProvider(), logger: logger);

        List<ChatStreamingEvent> published = store.PublishResponse("c", "x", "y");
        Assert.That(() => store.Publish(ChatStreamingEvent.Delta("c", "late")), Throws.InstanceOf<ChatStreamingException>(), "a refusal is still reported as the refusal");

        List<ChatStreamingEvent> replay = await store.SubscribeAsync("c", 0).ToListAsync();
        Assert.Multiple(() =>
        {
            Assert.That(replay, Is.EqualTo(published));
            Assert.That(store.ActiveResponseCount, Is.Zero);
            Assert.That(store.TelemetryFailureCount, Is.GreaterThan(0));
        });
    }
}
