using NUnit.Framework;
using StreamingCore.Tests.Support;

namespace StreamingCore.Tests.Store;

/// <summary>
/// <c>SubscribeAsync</c> returns a hand-written enumerator where it had a compiler-generated async iterator; these pin down
/// what the iterator did for free: both tokens cancel, enumerations are independent, disposal detaches once, errors come
/// through the task, and the live path allocates nothing per event or per wait.
/// </summary>
public class SubscriptionEnumeratorTests
{
    [TestCase(true, TestName = "The SubscribeAsync token cancels a pending wait when GetAsyncEnumerator has its own token")]
    [TestCase(false, TestName = "The GetAsyncEnumerator token cancels a pending wait when SubscribeAsync has its own token")]
    public async Task Either_token_cancels_a_pending_wait(bool cancelSubscribeToken)
    {
        (DefaultChatStreamingStore store, _) = StoreFixture.Create();
        using (store)
        {
            using var subscribeCts = new CancellationTokenSource();
            using var enumeratorCts = new CancellationTokenSource();
            IAsyncEnumerator<ChatStreamingEvent> enumerator = store.SubscribeAsync("c", 0, subscribeCts.Token).GetAsyncEnumerator(enumeratorCts.Token);
            ValueTask<bool> move = enumerator.MoveNextAsync();
            Assert.That(move.IsCompleted, Is.False);
            Assert.That(store.SubscriberCount, Is.EqualTo(1));

            await (cancelSubscribeToken ? subscribeCts : enumeratorCts).CancelAsync();

            Assert.That(async () => await move.Guarded(), Throws.InstanceOf<OperationCanceledException>());
            Assert.That(store.SubscriberCount, Is.Zero, "a cancelled wait detaches");
            Assert.That(store.WaitingSubscriberCount, Is.Zero);
            Assert.That(await enumerator.MoveNextAsync(), Is.False);
            await enumerator.DisposeAsync();
        }
    }

    [Test]
    public async Task The_GetAsyncEnumerator_token_alone_cancels_replay_and_the_wait()
    {
        (DefaultChatStreamingStore store, _) = StoreFixture.Create();
        using (store)
        {
            store.Publish(ChatStreamingEvent.Started("c"));
            store.Publish(ChatStreamingEvent.Delta("c", "a"));
            store.Publish(ChatStreamingEvent.Delta("c", "b"));

            using var cts = new CancellationTokenSource();
            IAsyncEnumerable<ChatStreamingEvent> subscription = store.SubscribeAsync("c");
            await using IAsyncEnumerator<ChatStreamingEvent> replaying = subscription.GetAsyncEnumerator(cts.Token);
            Assert.That(await replaying.MoveNextAsync(), Is.True);
            await cts.CancelAsync();

            // Checked before each replayed event, and failing through the task, cancelled, as an async iterator fails.
            ValueTask<bool> cancelled = replaying.MoveNextAsync();
            Assert.That(cancelled.IsCanceled, Is.True);
            Assert.That(async () => await cancelled, Throws.InstanceOf<OperationCanceledException>());
            Assert.That(store.SubscriberCount, Is.Zero, "the subscription ended with the cancellation");

            using var later = new CancellationTokenSource();
            await using IAsyncEnumerator<ChatStreamingEvent> waiting = subscription.GetAsyncEnumerator(later.Token);
            for (int i = 0; i < 3; i++)
            {
                Assert.That(await waiting.MoveNextAsync(), Is.True);
            }

            ValueTask<bool> move = waiting.MoveNextAsync();
            Assert.That(move.IsCompleted, Is.False);
            await later.CancelAsync();
            Assert.That(async () => await move.Guarded(), Throws.InstanceOf<OperationCanceledException>());
            Assert.That(store.SubscriberCount, Is.Zero);
        }
    }

    [Test]
    public async Task A_token_cancelled_before_the_first_MoveNextAsync_opens_nothing()
    {
        (DefaultChatStreamingStore store, _) = StoreFixture.Create();
        using (store)
        {
            using var cts = new CancellationTokenSource();
            await cts.CancelAsync();
            await using IAsyncEnumerator<ChatStreamingEvent> enumerator = store.SubscribeAsync("c").GetAsyncEnumerator(cts.Token);

            ValueTask<bool> move = enumerator.MoveNextAsync();

            Assert.That(move.IsCanceled, Is.True, "the call itself does not throw");
            Assert.That(async () => await move, Throws.InstanceOf<OperationCanceledException>());
            Assert.That(store.ConversationCount, Is.Zero);
            Assert.That(store.SubscriberCount, Is.Zero);
        }
    }

    [Test]
    public async Task Two_enumerations_of_one_subscription_are_independent()
    {
        (DefaultChatStreamingStore store, _) = StoreFixture.Create();
        using (store)
        {
            ChatStreamingEvent started = store.Publish(ChatStreamingEvent.Started("c"));
            IAsyncEnumerable<ChatStreamingEvent> subscription = store.SubscribeAsync("c");
            IAsyncEnumerator<ChatStreamingEvent> first = subscription.GetAsyncEnumerator(TestGuard.Token);
            IAsyncEnumerator<ChatStreamingEvent> second = subscription.GetAsyncEnumerator(TestGuard.Token);
            Assert.That(second, Is.Not.SameAs(first));

            Assert.That(await first.MoveNextAsync(), Is.True);
            Assert.That(first.Current, Is.EqualTo(started));
            Assert.That(await second.MoveNextAsync(), Is.True);
            Assert.That(second.Current, Is.EqualTo(started), "each replays on its own");
            Assert.That(store.SubscriberCount, Is.EqualTo(2));

            ChatStreamingEvent delta = store.Publish(ChatStreamingEvent.Delta("c", "x"));
            Assert.That(await first.MoveNextAsync().Guarded(), Is.True);
            Assert.That(first.Current, Is.EqualTo(delta));

            await first.DisposeAsync();
            Assert.That(store.SubscriberCount, Is.EqualTo(1), "disposing one leaves the other");

            ChatStreamingEvent finished = store.Publish(ChatStreamingEvent.Finished("c"));
            Assert.That(await second.MoveNextAsync().Guarded(), Is.True);
            Assert.That(second.Current, Is.EqualTo(delta));
            Assert.That(await second.MoveNextAsync().Guarded(), Is.True);
            Assert.That(second.Current, Is.EqualTo(finished));
            Assert.That(await second.MoveNextAsync().Guarded(), Is.False);
            await second.DisposeAsync();

            // The enumerable still subscribes afresh.
            Assert.That(await subscription.ToListAsync(), Is.EqualTo(new[] { started, delta, finished }));
            Assert.That(store.SubscriberCount, Is.Zero);
        }
    }

    [Test]
    public async Task Disposing_during_replay_detaches_once()
    {
        (DefaultChatStreamingStore store, _) = StoreFixture.Create();
        using (store)
        {
            store.Publish(ChatStreamingEvent.Started("c"));
            store.Publish(ChatStreamingEvent.Delta("c", "a"));
            await using IAsyncEnumerator<ChatStreamingEvent> other = store.SubscribeAsync("c").GetAsyncEnumerator(TestGuard.Token);
            Assert.That(await other.MoveNextAsync(), Is.True);

            IAsyncEnumerator<ChatStreamingEvent> enumerator = store.SubscribeAsync("c").GetAsyncEnumerator(TestGuard.Token);
            Assert.That(await enumerator.MoveNextAsync(), Is.True, "the first replayed event");
            Assert.That(store.SubscriberCount, Is.EqualTo(2), "registered for live events before replay ends");

            await enumerator.DisposeAsync();
            Assert.That(store.SubscriberCount, Is.EqualTo(1));
            await enumerator.DisposeAsync();
            Assert.That(store.SubscriberCount, Is.EqualTo(1), "a second dispose detaches nothing more");
            Assert.That(await enumerator.MoveNextAsync(), Is.False);

            store.Publish(ChatStreamingEvent.Finished("c"));
            Assert.That(await ReadRestAsync(other).Guarded(), Has.Count.EqualTo(2), "the other subscription is untouched");
        }
    }

    [Test]
    public async Task MoveNextAsync_after_the_end_is_false()
    {
        (DefaultChatStreamingStore store, _) = StoreFixture.Create();
        using (store)
        {
            store.PublishResponse("c", "a");
            await using IAsyncEnumerator<ChatStreamingEvent> replayOnly = store.SubscribeAsync("c").GetAsyncEnumerator(TestGuard.Token);
            Assert.That(await ReadRestAsync(replayOnly), Has.Count.EqualTo(3));
            Assert.That(await replayOnly.MoveNextAsync(), Is.False);
            Assert.That(await replayOnly.MoveNextAsync(), Is.False);

            await using IAsyncEnumerator<ChatStreamingEvent> live = store.SubscribeAsync("d").GetAsyncEnumerator(TestGuard.Token);
            ValueTask<bool> waiting = live.MoveNextAsync();
            store.PublishResponse("d", "b");
            Assert.That(await waiting.Guarded(), Is.True);
            Assert.That(await ReadRestAsync(live).Guarded(), Has.Count.EqualTo(2));
            Assert.That(await live.MoveNextAsync(), Is.False);
            Assert.That(store.SubscriberCount, Is.Zero);

            // Ended by an error, too: the error once, then the end.
            IAsyncEnumerator<ChatStreamingEvent> refused = store.SubscribeAsync("c", afterSequence: 100).GetAsyncEnumerator(TestGuard.Token);
            ValueTask<bool> failed = refused.MoveNextAsync();
            Assert.That(failed.IsFaulted, Is.True, "the call itself does not throw");
            Assert.That(async () => await failed, Throws.InstanceOf<ArgumentOutOfRangeException>());
            Assert.That(await refused.MoveNextAsync(), Is.False);
            await refused.DisposeAsync();
        }
    }

    [Test]
    public async Task An_error_that_ends_a_pending_wait_detaches_and_ends_the_enumeration()
    {
        (DefaultChatStreamingStore store, var time) = StoreFixture.Create();
        using (store)
        {
            await using IAsyncEnumerator<ChatStreamingEvent> enumerator = store.SubscribeAsync("c").GetAsyncEnumerator(TestGuard.Token);
            ValueTask<bool> move = enumerator.MoveNextAsync();
            Assert.Throws<NotSupportedException>(() => enumerator.DisposeAsync(), "not while a MoveNextAsync is pending");
            Assert.That(store.SubscriberCount, Is.EqualTo(1));

            time.Advance(new ChatStreamingOptions().WaitingSubscriberTimeout);

            var ex = await Assert.ThrowsAsync<ChatStreamingException>(async () => await move.Guarded());
            Assert.That(ex!.Error, Is.EqualTo(ChatStreamingError.WaitTimedOut));
            Assert.That(store.SubscriberCount, Is.Zero);
            Assert.That(await enumerator.MoveNextAsync(), Is.False);
        }
    }

    [TestCase(false, TestName = "A live event allocates nothing after warm-up")]
    [TestCase(true, TestName = "A live event allocates nothing after warm-up, with a cancellable token")]
    public void A_live_event_allocates_nothing(bool cancellable)
    {
        (DefaultChatStreamingStore store, _) = StoreFixture.Create();
        using (store)
        using (var cts = new CancellationTokenSource())
        {
            store.Publish(ChatStreamingEvent.Started("c"));
            IAsyncEnumerator<ChatStreamingEvent> enumerator = store.SubscribeAsync("c", 0, cancellable ? cts.Token : default).GetAsyncEnumerator();
            Assert.That(enumerator.MoveNextAsync().AsTask().Result, Is.True);
            var delta = ChatStreamingEvent.Delta("c", "x");

            // On this thread only: the wait completes before anything awaits it, so no continuation runs anywhere.
            long allocated = 0;
            for (int round = 0; round < 2; round++)
            {
                allocated = 0;
                for (int i = 0; i < 200; i++)
                {
                    // A wait: MoveNextAsync parks, a publish wakes it.
                    long before = GC.GetAllocatedBytesForCurrentThread();
                    ValueTask<bool> move = enumerator.MoveNextAsync();
                    bool parked = !move.IsCompleted;
                    allocated += GC.GetAllocatedBytesForCurrentThread() - before;
                    Assert.That(parked, Is.True);

                    store.Publish(delta);

                    before = GC.GetAllocatedBytesForCurrentThread();
                    bool moved = move.IsCompleted && move.Result;
                    allocated += GC.GetAllocatedBytesForCurrentThread() - before;
                    Assert.That(moved, Is.True);

                    // A burst: three queued events read without waiting.
                    store.Publish(delta);
                    store.Publish(delta);
                    store.Publish(delta);
                    before = GC.GetAllocatedBytesForCurrentThread();
                    int read = 0;
                    for (int j = 0; j < 3; j++)
                    {
                        ValueTask<bool> next = enumerator.MoveNextAsync();
                        read += next.IsCompleted && next.Result ? 1 : 0;
                    }

                    allocated += GC.GetAllocatedBytesForCurrentThread() - before;
                    Assert.That(read, Is.EqualTo(3));
                }
            }

            Assert.That(allocated, Is.Zero, "bytes allocated by 800 live events and 200 waits after warm-up");
            store.Publish(ChatStreamingEvent.Finished("c"));
            Assert.That(enumerator.MoveNextAsync().AsTask().Result, Is.True);
            Assert.That(enumerator.MoveNextAsync().AsTask().Result, Is.False);
            Assert.That(enumerator.DisposeAsync().IsCompletedSuccessfully, Is.True);
        }
    }

    private static async Task<List<ChatStreamingEvent>> ReadRestAsync(IAsyncEnumerator<ChatStreamingEvent> enumerator)
    {
        var rest = new List<ChatStreamingEvent>();
        while (await enumerator.MoveNextAsync())
        {
            rest.Add(enumerator.Current);
        }

        return rest;
    }
}
