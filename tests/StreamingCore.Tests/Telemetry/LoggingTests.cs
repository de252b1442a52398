using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Testing;
using Microsoft.Extensions.Time.Testing;
using NUnit.Framework;
using StreamingCore.Tests.Support;

namespace StreamingCore.Tests.Telemetry;

public class LoggingTests
{
    private const string SecretText = "the user's private words";

    [Test]
    public async Task Lifecycle_misuse_drops_and_evictions_are_logged_at_their_levels_and_text_only_at_Trace()
    {
        var time = new FakeTimeProvider();
        var collector = new FakeLogCollector();
        var logger = new FakeLogger<DefaultChatStreamingStore>(collector);
        using var store = new DefaultChatStreamingStore(
            new ChatStreamingOptions { SubscriberCapacity = 1, SubscriberOverflow = OverflowStrategy.DropOldest, IdleTimeout = TimeSpan.FromSeconds(5), RetentionPeriod = TimeSpan.FromSeconds(30) },
            time,
            logger);

        store.Publish(ChatStreamingEvent.Started("c"));
        await using (IAsyncEnumerator<ChatStreamingEvent> stalled = store.SubscribeAsync("c").GetAsyncEnumerator(TestGuard.Token))
        {
            Assert.That(await stalled.MoveNextAsync(), Is.True);
            store.Publish(ChatStreamingEvent.Delta("c", SecretText));
            store.Publish(ChatStreamingEvent.Delta("c", SecretText));
        }

        Assert.Throws<ChatStreamingException>(() => store.Publish(ChatStreamingEvent.Started("c")));
        time.Advance(TimeSpan.FromSeconds(5));      // idle eviction
        time.Advance(TimeSpan.FromSeconds(30));     // retention eviction

        IReadOnlyList<FakeLogRecord> records = collector.GetSnapshot();
        Assert.Multiple(() =>
        {
            Assert.That(records.Where(r => r.Level == LogLevel.Debug).Select(r => r.Id.Name), Is.SupersetOf(new[] { "ResponseStarted", "ResponseEnded" }));
            Assert.That(records.Where(r => r.Level == LogLevel.Warning).Select(r => r.Id.Name), Is.SupersetOf(new[] { "PublishRefused", "EventDropped" }));
            Assert.That(records.Where(r => r.Level == LogLevel.Information).Select(r => r.Id.Name), Is.EqualTo(new[] { "ResponseIdleTimeout", "ResponseReleased" }));
            Assert.That(records.Where(r => r.Level == LogLevel.Trace).Select(r => r.Message), Has.Exactly(2).Contains(SecretText));
            Assert.That(records.Where(r => r.Level > LogLevel.Trace).Select(r => r.Message), Has.None.Contains(SecretText));
        });
    }
}
