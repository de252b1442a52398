using System.Diagnostics;
using System.Diagnostics.Metrics;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.Metrics.Testing;
using Microsoft.Extensions.Time.Testing;
using NUnit.Framework;
using StreamingCore.Tests.Support;

namespace StreamingCore.Tests.Hardening;

/// <summary>Finding 5 and part of 12: gauges report levels whenever a listener attaches; Dispose ends what is active, consistently.</summary>
public class LevelsAndDisposeTests
{
    private static long LastValue(MetricCollector<long> collector)
    {
        collector.RecordObservableInstruments();
        return collector.LastMeasurement?.Value ?? 0;
    }

    [Test]
    public async Task A_listener_attached_mid_response_reads_the_true_levels()
    {
        using ServiceProvider services = new ServiceCollection().AddMetrics().BuildServiceProvider();
        IMeterFactory meters = services.GetRequiredService<IMeterFactory>();
        var time = new FakeTimeProvider();
        using var store = new DefaultChatStreamingStore(timeProvider: time, meterFactory: meters);
        store.Publish(ChatStreamingEvent.Started("a"));
        store.Publish(ChatStreamingEvent.Started("b"));
        await using var waiting = store.SubscribeAsync("a").GetAsyncEnumerator(TestGuard.Token);
        _ = waiting.MoveNextAsync();

        using var active = new MetricCollector<long>(meters, StreamingCoreDiagnostics.MeterName, StreamingCoreDiagnostics.ActiveResponses, time);
        using var subscribers = new MetricCollector<long>(meters, StreamingCoreDiagnostics.MeterName, StreamingCoreDiagnostics.Subscribers, time);
        Assert.That(LastValue(active), Is.EqualTo(2));
        Assert.That(LastValue(subscribers), Is.EqualTo(1));

        store.Publish(ChatStreamingEvent.Finished("a"));
        store.Publish(ChatStreamingEvent.Finished("b"));
        Assert.That(LastValue(active), Is.Zero, "never negative");
    }

    [Test]
    public async Task Dispose_ends_active_responses_for_subscribers_traces_and_gauges()
    {
        using ServiceProvider services = new ServiceCollection().AddMetrics().BuildServiceProvider();
        IMeterFactory meters = services.GetRequiredService<IMeterFactory>();
        var stopped = new List<Activity>();
        using var activities = new ActivityListener
        {
            ShouldListenTo = s => s.Name == StreamingCoreDiagnostics.ActivitySourceName,
            Sample = (ref ActivityCreationOptions<ActivityContext> _) => ActivitySamplingResult.AllDataAndRecorded,
            ActivityStopped = a => { lock (stopped) { stopped.Add(a); } },
        };
        ActivitySource.AddActivityListener(activities);
        var time = new FakeTimeProvider();
        var store = new DefaultChatStreamingStore(timeProvider: time, meterFactory: meters);
        using var active = new MetricCollector<long>(meters, StreamingCoreDiagnostics.MeterName, StreamingCoreDiagnostics.ActiveResponses, time);

        store.Publish(ChatStreamingEvent.Started("disposed-c"));
        store.Publish(ChatStreamingEvent.Delta("disposed-c", "half"));
        Task<List<ChatStreamingEvent>> subscriber = store.SubscribeAsync("disposed-c").ToListAsync();
        Task<List<ChatStreamingEvent>> waiter = store.SubscribeAsync("disposed-waiting").ToListAsync();
        var observerEnded = new TaskCompletionSource<Exception?>(TaskCreationOptions.RunContinuationsAsynchronously);
        using IDisposable observer = store.Events.Subscribe(_ => { }, ex => observerEnded.TrySetResult(ex), () => observerEnded.TrySetResult(null));

        store.Dispose();

        List<ChatStreamingEvent> received = await subscriber.Guarded();
        Assert.Multiple(() =>
        {
            Assert.That(received[^1].Kind, Is.EqualTo(ChatStreamingEventKind.Failed), "the active response ends with Failed for its subscribers");
            Assert.That(received[^1].Error, Is.EqualTo("store disposed"));
            Assert.That(ContractEvents.TextOf(received), Is.EqualTo("half"));
            Assert.That(LastValue(active), Is.Zero);
            Assert.That(store.ActiveResponseCount, Is.Zero);
        });
        lock (stopped)
        {
            Activity? response = stopped.SingleOrDefault(a => (string?)a.GetTagItem(StreamingCoreDiagnostics.ConversationIdTag) == "disposed-c");
            Assert.That(response, Is.Not.Null, "the response's activity stopped");
            Assert.That(response!.Status, Is.EqualTo(ActivityStatusCode.Error));
        }

        Assert.That(async () => await waiter.Guarded(), Throws.InstanceOf<ObjectDisposedException>(), "a waiting subscriber learns the store is gone");
        Assert.That(await observerEnded.Task.Guarded(), Is.InstanceOf<ObjectDisposedException>(), "Events observers end the same way as subscribers");
    }
}
