using NUnit.Framework;
using StreamingCore.Tests.Support;

namespace StreamingCore.Tests.Store;

/// <summary>
/// A subscriber with a queue of 16 stalls while the producer publishes 50,000 deltas on the test thread: if
/// Publish waited for the subscriber this would never finish. After release, the subscriber's view depends
/// on its strategy.
/// </summary>
public class SlowSubscriberTests
{
    private const int Deltas = 50_000;
    private const int Capacity = 16;

    private static string Piece(int i) => (i % 10).ToString(System.Globalization.CultureInfo.InvariantCulture);

    private static readonly string ExpectedText = string.Concat(Enumerable.Range(0, Deltas).Select(Piece));

    /// <summary>Starts a response, registers a subscriber that has read only Started, then publishes everything.</summary>
    private static async Task<IAsyncEnumerator<ChatStreamingEvent>> StallAndPublish(DefaultChatStreamingStore store)
    {
        store.Publish(ChatStreamingEvent.Started("c"));
        IAsyncEnumerator<ChatStreamingEvent> stalled = store.SubscribeAsync("c").GetAsyncEnumerator(TestGuard.Token);
        Assert.That(await stalled.MoveNextAsync(), Is.True);
        Assert.That(stalled.Current.Kind, Is.EqualTo(ChatStreamingEventKind.Started));

        for (int i = 0; i < Deltas; i++)
        {
            store.Publish(ChatStreamingEvent.Delta("c", Piece(i)));
        }

        store.Publish(ChatStreamingEvent.Finished("c"));
        return stalled;
    }

    private static async Task<List<ChatStreamingEvent>> ReadRest(IAsyncEnumerator<ChatStreamingEvent> enumerator)
    {
        var rest = new List<ChatStreamingEvent>();
        while (await enumerator.MoveNextAsync())
        {
            rest.Add(enumerator.Current);
        }

        return rest;
    }

    [Test]
    public async Task Coalesce_delivers_the_complete_text_in_a_bounded_number_of_events()
    {
        (DefaultChatStreamingStore store, _) = StoreFixture.Create(o => { o.SubscriberCapacity = Capacity; o.SubscriberOverflow = OverflowStrategy.Coalesce; });
        using (store)
        {
            await using IAsyncEnumerator<ChatStreamingEvent> stalled = await StallAndPublish(store);
            List<ChatStreamingEvent> rest = await ReadRest(stalled);

            Assert.Multiple(() =>
            {
                Assert.That(StoreFixture.TextOf(rest), Is.EqualTo(ExpectedText));
                Assert.That(rest[^1].Kind, Is.EqualTo(ChatStreamingEventKind.Finished));
                Assert.That(rest[^1].Sequence, Is.EqualTo(Deltas + 2));
                Assert.That(StoreFixture.Sequences(rest), Is.Ordered.Ascending.And.Unique);

                // Memory stayed bounded: the queue held its capacity plus merged 4 KiB chunks of the text.
                Assert.That(rest, Has.Count.LessThanOrEqualTo(Capacity + (Deltas / 4096) + 2));
                Assert.That(store.DroppedEventCount, Is.Zero);
            });
        }
    }

    [Test]
    public async Task DropOldest_shows_the_hole_as_sequence_jumps_and_keeps_start_and_end()
    {
        (DefaultChatStreamingStore store, _) = StoreFixture.Create(o => { o.SubscriberCapacity = Capacity; o.SubscriberOverflow = OverflowStrategy.DropOldest; });
        using (store)
        {
            await using IAsyncEnumerator<ChatStreamingEvent> stalled = await StallAndPublish(store);
            List<ChatStreamingEvent> rest = await ReadRest(stalled);
            int deltasReceived = rest.Count(e => e.Kind == ChatStreamingEventKind.Delta);

            Assert.Multiple(() =>
            {
                Assert.That(rest[^1].Kind, Is.EqualTo(ChatStreamingEventKind.Finished));
                Assert.That(StoreFixture.Sequences(rest), Is.Ordered.Ascending.And.Unique);

                // The newest deltas survive: the last 15 before Finished, right after the jump.
                Assert.That(StoreFixture.Sequences(rest), Is.EqualTo(Enumerable.Range(Deltas + 2 - (Capacity - 1), Capacity).Select(i => (long)i)));
                Assert.That(store.DroppedEventCount, Is.EqualTo(Deltas - deltasReceived));
            });

            // The hole can be filled by resuming after the last event seen before it.
            List<ChatStreamingEvent> refill = await store.SubscribeAsync("c", 1).ToListAsync();
            Assert.That(StoreFixture.TextOf(refill), Is.EqualTo(ExpectedText));
        }
    }

    [Test]
    public async Task Reject_ends_the_subscription_with_a_typed_error_and_a_resume_is_exact()
    {
        (DefaultChatStreamingStore store, _) = StoreFixture.Create(o => { o.SubscriberCapacity = Capacity; o.SubscriberOverflow = OverflowStrategy.Reject; });
        using (store)
        {
            await using IAsyncEnumerator<ChatStreamingEvent> stalled = await StallAndPublish(store);

            var before = new List<ChatStreamingEvent>();
            var ex = await Assert.ThrowsAsync<ChatStreamingException>(async () =>
            {
                while (await stalled.MoveNextAsync())
                {
                    before.Add(stalled.Current);
                }
            });
            long lastSeen = before[^1].Sequence;
            List<ChatStreamingEvent> resumed = await store.SubscribeAsync("c", lastSeen).ToListAsync();

            Assert.Multiple(() =>
            {
                Assert.That(ex!.Error, Is.EqualTo(ChatStreamingError.SubscriberOverflow));
                Assert.That(ex.Message, Does.Contain("'c'").And.Contain("Reject"));
                Assert.That(before, Has.Count.EqualTo(Capacity));
                Assert.That(StoreFixture.Sequences(before.Concat(resumed)), Is.EqualTo(Enumerable.Range(2, Deltas + 1).Select(i => (long)i)));
                Assert.That(StoreFixture.TextOf(before) + StoreFixture.TextOf(resumed), Is.EqualTo(ExpectedText));
            });
        }
    }

    [Test]
    public async Task DropNewest_keeps_the_oldest_queued_deltas_and_the_end()
    {
        (DefaultChatStreamingStore store, _) = StoreFixture.Create(o => { o.SubscriberCapacity = Capacity; o.SubscriberOverflow = OverflowStrategy.DropNewest; });
        using (store)
        {
            await using IAsyncEnumerator<ChatStreamingEvent> stalled = await StallAndPublish(store);
            List<ChatStreamingEvent> rest = await ReadRest(stalled);

            long[] expected = [.. Enumerable.Range(2, Capacity).Select(i => (long)i), Deltas + 2];
            Assert.That(StoreFixture.Sequences(rest), Is.EqualTo(expected));
        }
    }

    [Test]
    public async Task A_stalled_subscriber_does_not_slow_another_one()
    {
        (DefaultChatStreamingStore store, _) = StoreFixture.Create(o => o.SubscriberCapacity = Capacity);
        using (store)
        {
            store.Publish(ChatStreamingEvent.Started("c"));
            await using IAsyncEnumerator<ChatStreamingEvent> stalled = store.SubscribeAsync("c").GetAsyncEnumerator(TestGuard.Token);
            Assert.That(await stalled.MoveNextAsync(), Is.True);

            await using IAsyncEnumerator<ChatStreamingEvent> live = store.SubscribeAsync("c").GetAsyncEnumerator(TestGuard.Token);
            Assert.That(await live.MoveNextAsync(), Is.True);
            for (int i = 0; i < 1000; i++)
            {
                ChatStreamingEvent published = store.Publish(ChatStreamingEvent.Delta("c", Piece(i)));
                Assert.That(await live.MoveNextAsync(), Is.True);
                Assert.That(live.Current, Is.EqualTo(published));
            }
        }
    }
}
