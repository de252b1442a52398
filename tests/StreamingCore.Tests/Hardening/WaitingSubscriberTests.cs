using NUnit.Framework;
using StreamingCore.Tests.Support;

namespace StreamingCore.Tests.Hardening;

/// <summary>
/// Finding 3: waiting subscribers are limited store-wide. The waiting timeout, which every store keeps, is in the shared
/// contract suite (TimeoutContract).
/// </summary>
public class WaitingSubscriberTests
{
    [Test]
    public async Task Waiting_subscribers_are_limited_store_wide_by_default()
    {
        (DefaultChatStreamingStore store, _) = StoreFixture.Create();
        using (store)
        {
            var waiters = new List<IAsyncEnumerator<ChatStreamingEvent>>();
            var pending = new List<Task<bool>>();
            for (int i = 0; i < 10_000; i++)
            {
                IAsyncEnumerator<ChatStreamingEvent> waiter = store.SubscribeAsync($"random-{i}").GetAsyncEnumerator(TestGuard.Token);
                pending.Add(waiter.MoveNextAsync().AsTask());
                waiters.Add(waiter);
            }

            Assert.That(pending.Any(p => p.IsCompleted), Is.False);

            IAsyncEnumerator<ChatStreamingEvent> refused = store.SubscribeAsync("one-more").GetAsyncEnumerator(TestGuard.Token);
            var ex = await Assert.ThrowsAsync<ChatStreamingException>(async () => await refused.MoveNextAsync());
            Assert.Multiple(() =>
            {
                Assert.That(ex!.Error, Is.EqualTo(ChatStreamingError.TooManySubscribers));
                Assert.That(ex.Message, Does.Contain("MaxWaitingSubscribers"));
                Assert.That(store.ConversationCount, Is.EqualTo(10_000), "the refused subscription created nothing");
            });

            // A producer is never refused because of waiters, and a waiter that gets its response is no longer waiting.
            store.Publish(ChatStreamingEvent.Started("random-0"));
            Assert.That(await pending[0].Guarded(), Is.True);
            Assert.That(store.WaitingSubscriberCount, Is.EqualTo(9_999));
            IAsyncEnumerator<ChatStreamingEvent> admitted = store.SubscribeAsync("one-more").GetAsyncEnumerator(TestGuard.Token);
            Task<bool> admittedWait = admitted.MoveNextAsync().AsTask();
            Assert.That(admittedWait.IsCompleted, Is.False);

            // An enumerator cannot be disposed while it waits; ending the store ends every wait.
            store.Dispose();
            foreach (Task<bool> wait in pending.Skip(1).Append(admittedWait))
            {
                Assert.That(async () => await wait.Guarded(), Throws.InstanceOf<ObjectDisposedException>());
            }

            foreach (IAsyncEnumerator<ChatStreamingEvent> waiter in waiters.Append(admitted))
            {
                await waiter.DisposeAsync();
            }
        }
    }

    [Test]
    public async Task A_client_up_to_date_with_a_retained_conversation_waits_even_when_made_up_ids_hold_every_slot()
    {
        (DefaultChatStreamingStore store, _) = StoreFixture.Create(o => o.MaxWaitingSubscribers = 2);
        using (store)
        {
            List<ChatStreamingEvent> first = store.PublishResponse("c", "one");
            var flood = new List<Task<bool>>();
            foreach (string id in new[] { "made-up-1", "made-up-2" })
            {
                flood.Add(store.SubscribeAsync(id).GetAsyncEnumerator(TestGuard.Token).MoveNextAsync().AsTask());
            }

            var refused = await Assert.ThrowsAsync<ChatStreamingException>(async () => await store.SubscribeAsync("made-up-3").GetAsyncEnumerator(TestGuard.Token).MoveNextAsync());
            Assert.That(refused!.Error, Is.EqualTo(ChatStreamingError.TooManySubscribers));

            // Following the conversation into its next answer needs no slot: the conversation is retained anyway.
            Task<List<ChatStreamingEvent>> follower = store.SubscribeAsync("c", first[^1].Position).ToListAsync();
            List<ChatStreamingEvent> second = store.PublishResponse("c", "two");
            Assert.That(await follower.Guarded(), Is.EqualTo(second));
            Assert.That(store.WaitingSubscriberCount, Is.EqualTo(2));
            store.Dispose();
            foreach (Task<bool> wait in flood)
            {
                Assert.That(async () => await wait.Guarded(), Throws.InstanceOf<ObjectDisposedException>());
            }
        }
    }
}
