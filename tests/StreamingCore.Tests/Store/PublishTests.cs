using Microsoft.Extensions.Time.Testing;
using NUnit.Framework;
using StreamingCore.Tests.Support;

namespace StreamingCore.Tests.Store;

public class PublishTests
{
    [Test]
    public void Sequences_start_at_one_and_continue_across_responses_of_a_conversation()
    {
        (DefaultChatStreamingStore store, _) = StoreFixture.Create();
        using (store)
        {
            List<ChatStreamingEvent> first = store.PublishResponse("c", "a", "b");
            List<ChatStreamingEvent> second = store.PublishResponse("c", "x");
            List<ChatStreamingEvent> other = store.PublishResponse("d", "y");

            Assert.Multiple(() =>
            {
                Assert.That(StoreFixture.Sequences(first), Is.EqualTo(new long[] { 1, 2, 3, 4 }));
                Assert.That(StoreFixture.Sequences(second), Is.EqualTo(new long[] { 5, 6, 7 }));
                Assert.That(StoreFixture.Sequences(other), Is.EqualTo(new long[] { 1, 2, 3 }));
            });
        }
    }

    [Test]
    public void Publish_stamps_the_time_of_the_stores_clock_and_keeps_the_payload()
    {
        var now = new DateTimeOffset(2026, 11, 23, 10, 0, 0, TimeSpan.Zero);
        var time = new FakeTimeProvider(now);
        using var store = new DefaultChatStreamingStore(timeProvider: time);
        store.Publish(ChatStreamingEvent.Started("c"));
        time.Advance(TimeSpan.FromMilliseconds(250));

        ChatStreamingEvent delta = store.Publish(ChatStreamingEvent.Delta("c", "Hi"));
        ChatStreamingEvent finished = store.Publish(ChatStreamingEvent.Finished("c", new TokenUsage(3, 1)));

        Assert.Multiple(() =>
        {
            Assert.That(delta.Timestamp, Is.EqualTo(now.AddMilliseconds(250)));
            Assert.That((delta.Text, delta.Sequence), Is.EqualTo(("Hi", 2L)));
            Assert.That(finished.Usage, Is.EqualTo(new TokenUsage(3, 1)));
        });
    }

    [Test]
    public void An_event_not_made_by_a_factory_or_already_published_is_refused()
    {
        (DefaultChatStreamingStore store, _) = StoreFixture.Create();
        using (store)
        {
            ChatStreamingEvent started = store.Publish(ChatStreamingEvent.Started("c"));

            Assert.Multiple(() =>
            {
                Assert.That(() => store.Publish(default), Throws.ArgumentException.With.Property("ParamName").EqualTo("streamingEvent").And.Message.Contains("factory"));
                Assert.That(() => store.Publish(started), Throws.ArgumentException.With.Message.Contains("already published"));
            });
        }
    }

    [Test]
    public void Publish_after_dispose_throws_ObjectDisposed()
    {
        (DefaultChatStreamingStore store, _) = StoreFixture.Create();
        store.Dispose();
        Assert.That(() => store.Publish(ChatStreamingEvent.Started("c")), Throws.InstanceOf<ObjectDisposedException>());
        Assert.That(() => store.SubscribeAsync("c"), Throws.InstanceOf<ObjectDisposedException>());
    }
}
