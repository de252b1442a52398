using NUnit.Framework;
using StreamingCore.Tests.Support;

namespace StreamingCore.Tests.Store;

/// <summary>Idle timeout and retention, driven by a FakeTimeProvider: no sleeps.</summary>
public class EvictionTests
{
    private static readonly TimeSpan Idle = TimeSpan.FromSeconds(30);
    private static readonly TimeSpan Retention = TimeSpan.FromMinutes(5);
    private static readonly TimeSpan Tick = TimeSpan.FromTicks(1);

    [Test]
    public async Task A_response_with_no_event_for_the_idle_timeout_fails_and_is_released()
    {
        (DefaultChatStreamingStore store, Microsoft.Extensions.Time.Testing.FakeTimeProvider time) = StoreFixture.Create(o => o.IdleTimeout = Idle);
        using (store)
        {
            store.Publish(ChatStreamingEvent.Started("c"));
            Task<List<ChatStreamingEvent>> subscriber = store.SubscribeAsync("c").ToListAsync();
            time.Advance(Idle - Tick);
            store.Publish(ChatStreamingEvent.Delta("c", "still here"));
            time.Advance(Idle - Tick);
            Assert.That(store.ActiveResponseCount, Is.EqualTo(1), "each event restarts the idle time");

            time.Advance(Tick);

            List<ChatStreamingEvent> received = await subscriber.Guarded();
            Assert.Multiple(() =>
            {
                Assert.That(received[^1].Kind, Is.EqualTo(ChatStreamingEventKind.Failed));
                Assert.That(received[^1].Error, Is.EqualTo("idle timeout"));
                Assert.That(received[^1].Sequence, Is.EqualTo(3));
                Assert.That(store.ActiveResponseCount, Is.Zero);
                Assert.That(store.GetStatistics("c")!.Outcome, Is.EqualTo(ChatResponseOutcome.IdleTimeout));
                Assert.That(() => store.Publish(ChatStreamingEvent.Delta("c", "late")), Throws.InstanceOf<ChatStreamingException>());
            });
        }
    }

    [Test]
    public async Task A_finished_response_is_replayable_for_the_retention_period_and_then_released()
    {
        (DefaultChatStreamingStore store, Microsoft.Extensions.Time.Testing.FakeTimeProvider time) = StoreFixture.Create(o => o.RetentionPeriod = Retention);
        using (store)
        {
            store.PublishResponse("c", "Hello ", "world!");
            time.Advance(Retention - Tick);
            Assert.That(StoreFixture.TextOf(await store.SubscribeAsync("c", 1).ToListAsync()), Is.EqualTo("Hello world!"));

            time.Advance(Tick);

            Assert.That(store.ConversationCount, Is.Zero);
            var ex = await Assert.ThrowsAsync<ChatStreamingException>(async () => await store.SubscribeAsync("c", 1).ToListAsync());
            Assert.That(ex!.Error, Is.EqualTo(ChatStreamingError.SequenceNotRetained));
            Assert.That(store.GetStatistics("c"), Is.Null);
        }
    }

    [Test]
    public async Task A_resume_older_than_the_oldest_retained_response_is_a_typed_error_never_a_hole()
    {
        (DefaultChatStreamingStore store, Microsoft.Extensions.Time.Testing.FakeTimeProvider time) = StoreFixture.Create(o => o.RetentionPeriod = Retention);
        using (store)
        {
            store.PublishResponse("c", "old");                  // 1..3
            time.Advance(Retention / 2);
            store.PublishResponse("c", "new");                  // 4..6
            time.Advance(Retention / 2);                        // the first response expires

            var ex = await Assert.ThrowsAsync<ChatStreamingException>(async () => await store.SubscribeAsync("c", 1).ToListAsync());
            Assert.That(ex!.Message, Does.Contain("oldest retained sequence is 4"));
            Assert.That(StoreFixture.Sequences(await store.SubscribeAsync("c", 3).ToListAsync()), Is.EqualTo(new long[] { 4, 5, 6 }));
        }
    }

    [Test]
    public void Sequence_numbering_continues_while_retained_and_restarts_after_release()
    {
        (DefaultChatStreamingStore store, Microsoft.Extensions.Time.Testing.FakeTimeProvider time) = StoreFixture.Create(o => o.RetentionPeriod = Retention);
        using (store)
        {
            store.PublishResponse("c", "a");
            Assert.That(store.Publish(ChatStreamingEvent.Started("c")).Sequence, Is.EqualTo(4));
            store.Publish(ChatStreamingEvent.Finished("c"));

            time.Advance(Retention);

            Assert.That(store.Publish(ChatStreamingEvent.Started("c")).Sequence, Is.EqualTo(1));
        }
    }

    [Test]
    public void A_zero_retention_releases_a_response_when_it_ends()
    {
        (DefaultChatStreamingStore store, _) = StoreFixture.Create(o => o.RetentionPeriod = TimeSpan.Zero);
        using (store)
        {
            store.PublishResponse("c", "a");
            Assert.That(store.ConversationCount, Is.Zero);
        }
    }

    [Test]
    public void Thousands_of_responses_leave_no_state_behind_after_retention()
    {
        (DefaultChatStreamingStore store, Microsoft.Extensions.Time.Testing.FakeTimeProvider time) = StoreFixture.Create(o => o.RetentionPeriod = Retention);
        using (store)
        {
            for (int i = 0; i < 5_000; i++)
            {
                store.PublishResponse($"c{i}", "x", "y");
            }

            Assert.That(store.ConversationCount, Is.EqualTo(5_000));
            time.Advance(Retention);
            Assert.Multiple(() =>
            {
                Assert.That(store.ConversationCount, Is.Zero);
                Assert.That(store.ActiveResponseCount, Is.Zero);
            });
        }
    }
}
