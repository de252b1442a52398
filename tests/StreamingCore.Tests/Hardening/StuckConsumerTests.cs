using NUnit.Framework;
using StreamingCore.Tests.Support;

namespace StreamingCore.Tests.Hardening;

/// <summary>
/// Finding 1: a consumer that never returns is cut off with a typed error; it never holds unbounded memory. The subscriber
/// that never reads, which every store must cut off, is in the shared contract suite (SlowSubscriberContract).
/// </summary>
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
}
