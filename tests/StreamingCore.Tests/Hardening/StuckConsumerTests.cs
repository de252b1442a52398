using NUnit.Framework;
using StreamingCore.Tests.Support;

namespace StreamingCore.Tests.Hardening;

/// <summary>Finding 1: a consumer that never returns is cut off with a typed error; it never holds unbounded memory.</summary>
public class StuckConsumerTests
{
    [TestCase(OverflowStrategy.Coalesce)]
    [TestCase(OverflowStrategy.DropOldest)]
    [TestCase(OverflowStrategy.DropNewest)]
    [TestCase(OverflowStrategy.Reject)]
    public async Task A_stuck_Events_observer_is_cut_off_at_a_bounded_queue_and_told_why(OverflowStrategy strategy)
    {
        const int Capacity = 8;
        (DefaultChatStreamingStore store, _) = StoreFixture.Create(o => { o.SubscriberCapacity = Capacity; o.SubscriberOverflow = strategy; });
        using (store)
        {
            var stuck = new StuckObserver();
            using IDisposable subscription = store.Events.Subscribe(stuck);
            store.PublishResponse("c0", "first");
            await stuck.Entered.Task.Guarded();

            // Items of different conversations cannot merge, and starts and ends cannot be dropped.
            int peak = 0;
            for (int i = 1; i <= 2_000; i++)
            {
                store.PublishResponse($"c{i}", "x", "y");
                peak = Math.Max(peak, store.QueuedEventsForObservers());
            }

            Assert.That(peak, Is.LessThanOrEqualTo(2 * Capacity), "the observer's queue is bounded");
            Assert.That(store.SubscriberCount, Is.Zero, "the stuck observer was cut off");

            stuck.Release.Set();
            Exception? error = await stuck.Ended.Task.Guarded();
            Assert.That(error, Is.InstanceOf<ChatStreamingException>().With.Property("Error").EqualTo(ChatStreamingError.SubscriberOverflow));
            Assert.That(stuck.Received, Is.LessThanOrEqualTo((2 * Capacity) + 1), "it receives what was queued, then the error");
        }
    }

    [Test]
    public async Task A_subscriber_that_never_reads_a_long_coalesced_response_is_cut_off_and_can_resume_exactly()
    {
        const int Capacity = 4;
        (DefaultChatStreamingStore store, _) = StoreFixture.Create(o => o.SubscriberCapacity = Capacity);
        using (store)
        {
            store.Publish(ChatStreamingEvent.Started("c"));
            await using IAsyncEnumerator<ChatStreamingEvent> sleeper = store.SubscribeAsync("c").GetAsyncEnumerator(TestGuard.Token);
            Assert.That(await sleeper.MoveNextAsync(), Is.True);

            // Deltas of 4,096 characters cannot be merged further, so each one is a new queue item.
            string piece = new('a', 4096);
            for (int i = 0; i < 50; i++)
            {
                store.Publish(ChatStreamingEvent.Delta("c", piece));
            }

            store.Publish(ChatStreamingEvent.Finished("c"));

            var received = new List<ChatStreamingEvent> { sleeper.Current };
            var ex = await Assert.ThrowsAsync<ChatStreamingException>(async () =>
            {
                while (await sleeper.MoveNextAsync())
                {
                    received.Add(sleeper.Current);
                }
            });
            Assert.That(ex!.Error, Is.EqualTo(ChatStreamingError.SubscriberOverflow));
            Assert.That(received, Has.Count.LessThanOrEqualTo((2 * Capacity) + 1));

            List<ChatStreamingEvent> rest = await store.SubscribeAsync("c", received[^1].Position).ToListAsync();
            Assert.That(StoreFixture.TextOf(received) + StoreFixture.TextOf(rest), Is.EqualTo(string.Concat(Enumerable.Repeat(piece, 50))), "resuming after the last event received loses nothing");
        }
    }
}
