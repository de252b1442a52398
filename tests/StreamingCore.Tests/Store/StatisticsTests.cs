using NUnit.Framework;
using StreamingCore.Tests.Support;

namespace StreamingCore.Tests.Store;

public class StatisticsTests
{
    [Test]
    public void A_scripted_response_reports_exact_times_counts_and_rate()
    {
        (DefaultChatStreamingStore store, Microsoft.Extensions.Time.Testing.FakeTimeProvider time) = StoreFixture.Create();
        using (store)
        {
            ChatStreamingEvent started = store.Publish(ChatStreamingEvent.Started("c"));
            time.Advance(TimeSpan.FromMilliseconds(250));
            store.Publish(ChatStreamingEvent.Delta("c", "Hello "));
            time.Advance(TimeSpan.FromMilliseconds(250));

            ChatResponseStatistics streaming = store.GetStatistics("c")!;
            Assert.That((streaming.Outcome, streaming.Duration), Is.EqualTo((ChatResponseOutcome.Streaming, TimeSpan.FromMilliseconds(500))));

            store.Publish(ChatStreamingEvent.Delta("c", "world!"));
            time.Advance(TimeSpan.FromMilliseconds(500));
            store.Publish(ChatStreamingEvent.Finished("c", new TokenUsage(10, 2)));
            time.Advance(TimeSpan.FromSeconds(3));

            ChatResponseStatistics stats = store.GetStatistics("c")!;
            Assert.Multiple(() =>
            {
                Assert.That(stats.StartedAt, Is.EqualTo(started.Timestamp));
                Assert.That(stats.StartSequence, Is.EqualTo(1));
                Assert.That(stats.TimeToFirstDelta, Is.EqualTo(TimeSpan.FromMilliseconds(250)));
                Assert.That(stats.DeltaCount, Is.EqualTo(2));
                Assert.That(stats.CharacterCount, Is.EqualTo(12));
                Assert.That(stats.Duration, Is.EqualTo(TimeSpan.FromSeconds(1)), "the end is the terminal event, not now");
                Assert.That(stats.DeltasPerSecond, Is.EqualTo(2.0));
                Assert.That(stats.Usage, Is.EqualTo(new TokenUsage(10, 2)));
                Assert.That(stats.Outcome, Is.EqualTo(ChatResponseOutcome.Finished));
            });
        }
    }

    [Test]
    public void Statistics_describe_the_current_response_and_are_null_for_unknown_conversations()
    {
        (DefaultChatStreamingStore store, _) = StoreFixture.Create();
        using (store)
        {
            store.PublishResponse("c", "a");
            store.Publish(ChatStreamingEvent.Started("c"));
            store.Publish(ChatStreamingEvent.Failed("c", "boom"));

            Assert.Multiple(() =>
            {
                Assert.That(store.GetStatistics("c")!.StartSequence, Is.EqualTo(4));
                Assert.That(store.GetStatistics("c")!.Outcome, Is.EqualTo(ChatResponseOutcome.Failed));
                Assert.That(store.GetStatistics("c")!.TimeToFirstDelta, Is.Null);
                Assert.That(store.GetStatistics("nobody"), Is.Null);
            });
        }
    }
}
