using NUnit.Framework;

namespace StreamingCore.Testing.Contract;

/// <summary>
/// A subscriber on the Reader with a queue of 16 stalls while the producer publishes 50,000 deltas on the test thread:
/// if Publish waited for the subscriber this would never finish. Once the Reader has handed everything to the stalled
/// subscription (<see cref="StoreUnderTest.DeliveredAsync"/>), what it reads depends on its strategy.
/// </summary>
/// <param name="target">The implementation under test.</param>
[TestFixtureSource(typeof(ContractTargets), nameof(ContractTargets.All))]
public class SlowSubscriberContract(IStoreTarget target) : StoreContract(target)
{
    private const int Deltas = 50_000;
    private const int Capacity = 16;

    private static readonly string ExpectedText = string.Concat(Enumerable.Range(0, Deltas).Select(Piece));

    private static string Piece(int i) => (i % 10).ToString(System.Globalization.CultureInfo.InvariantCulture);

    /// <summary>
    /// Starts a response, registers a subscriber that has read only Started, publishes everything, and waits until the
    /// Reader has queued (or dropped, or merged) all of it for that subscriber, so what it reads next is decided.
    /// </summary>
    private static async Task<IAsyncEnumerator<ChatStreamingEvent>> StallAndPublish(StoreUnderTest store)
    {
        store.Producer.Publish(ChatStreamingEvent.Started("c"));
        IAsyncEnumerator<ChatStreamingEvent> stalled = store.Reader.SubscribeAsync("c").GetAsyncEnumerator(TestGuard.Token);
        Assert.That(await stalled.MoveNextAsync().Guarded(), Is.True);
        Assert.That(stalled.Current.Kind, Is.EqualTo(ChatStreamingEventKind.Started));

        for (int i = 0; i < Deltas; i++)
        {
            store.Producer.Publish(ChatStreamingEvent.Delta("c", Piece(i)));
        }

        ChatStreamingEvent finished = store.Producer.Publish(ChatStreamingEvent.Finished("c"));
        await store.DeliveredAsync("c", finished.Sequence).Guarded();
        return stalled;
    }

    [Test]
    public async Task Coalesce_delivers_the_complete_text_in_a_bounded_number_of_events()
    {
        await using StoreUnderTest store = await CreateAsync(o => { o.SubscriberCapacity = Capacity; o.SubscriberOverflow = OverflowStrategy.Coalesce; });
        await using IAsyncEnumerator<ChatStreamingEvent> stalled = await StallAndPublish(store);
        List<ChatStreamingEvent> rest = await stalled.ReadRestAsync().Guarded();

        Assert.Multiple(() =>
        {
            Assert.That(ContractEvents.TextOf(rest), Is.EqualTo(ExpectedText));
            Assert.That(rest[^1].Kind, Is.EqualTo(ChatStreamingEventKind.Finished));
            Assert.That(rest[^1].Sequence, Is.EqualTo(Deltas + 2));
            Assert.That(ContractEvents.Sequences(rest), Is.Ordered.Ascending.And.Unique);

            // Memory stayed bounded: the queue held its capacity plus merged 4 KiB chunks of the text.
            Assert.That(rest, Has.Count.LessThanOrEqualTo(Capacity + (Deltas / 4096) + 2));
            Assert.That(store.DroppedEventCount, Is.Zero);
        });
    }

    [Test]
    public async Task DropOldest_shows_the_hole_as_sequence_jumps_and_keeps_start_and_end()
    {
        await using StoreUnderTest store = await CreateAsync(o => { o.SubscriberCapacity = Capacity; o.SubscriberOverflow = OverflowStrategy.DropOldest; });
        await using IAsyncEnumerator<ChatStreamingEvent> stalled = await StallAndPublish(store);
        List<ChatStreamingEvent> rest = await stalled.ReadRestAsync().Guarded();
        int deltasReceived = rest.Count(e => e.Kind == ChatStreamingEventKind.Delta);

        Assert.Multiple(() =>
        {
            Assert.That(rest[^1].Kind, Is.EqualTo(ChatStreamingEventKind.Finished));
            Assert.That(ContractEvents.Sequences(rest), Is.Ordered.Ascending.And.Unique);

            // The newest deltas survive: the last 15 before Finished, right after the jump.
            Assert.That(ContractEvents.Sequences(rest), Is.EqualTo(Enumerable.Range(Deltas + 2 - (Capacity - 1), Capacity).Select(i => (long)i)));
            Assert.That(store.DroppedEventCount, Is.EqualTo(Deltas - deltasReceived));
        });

        // The hole can be filled by resuming after the last event seen before it.
        List<ChatStreamingEvent> refill = await store.Reader.SubscribeAsync("c", 1).ReadAllAsync();
        Assert.That(ContractEvents.TextOf(refill), Is.EqualTo(ExpectedText));
    }

    [Test]
    public async Task Reject_ends_the_subscription_with_a_typed_error_and_a_resume_is_exact()
    {
        await using StoreUnderTest store = await CreateAsync(o => { o.SubscriberCapacity = Capacity; o.SubscriberOverflow = OverflowStrategy.Reject; });
        await using IAsyncEnumerator<ChatStreamingEvent> stalled = await StallAndPublish(store);

        var before = new List<ChatStreamingEvent>();
        var ex = await Assert.ThrowsAsync<ChatStreamingException>(async () =>
        {
            while (await stalled.MoveNextAsync().Guarded())
            {
                before.Add(stalled.Current);
            }
        });
        long lastSeen = before[^1].Sequence;
        List<ChatStreamingEvent> resumed = await store.Reader.SubscribeAsync("c", lastSeen).ReadAllAsync();

        Assert.Multiple(() =>
        {
            Assert.That(ex!.Error, Is.EqualTo(ChatStreamingError.SubscriberOverflow));
            Assert.That(ex.Message, Does.Contain("'c'").And.Contain("Reject"));
            Assert.That(before, Has.Count.EqualTo(Capacity));
            Assert.That(ContractEvents.Sequences(before.Concat(resumed)), Is.EqualTo(Enumerable.Range(2, Deltas + 1).Select(i => (long)i)));
            Assert.That(ContractEvents.TextOf(before) + ContractEvents.TextOf(resumed), Is.EqualTo(ExpectedText));
        });
    }

    [Test]
    public async Task DropNewest_keeps_the_oldest_queued_deltas_and_the_end()
    {
        await using StoreUnderTest store = await CreateAsync(o => { o.SubscriberCapacity = Capacity; o.SubscriberOverflow = OverflowStrategy.DropNewest; });
        await using IAsyncEnumerator<ChatStreamingEvent> stalled = await StallAndPublish(store);
        List<ChatStreamingEvent> rest = await stalled.ReadRestAsync().Guarded();

        long[] expected = [.. Enumerable.Range(2, Capacity).Select(i => (long)i), Deltas + 2];
        Assert.That(ContractEvents.Sequences(rest), Is.EqualTo(expected));
        Assert.That(store.DroppedEventCount, Is.EqualTo(Deltas - Capacity));
    }

    [Test]
    public async Task A_stalled_subscriber_does_not_slow_another_one()
    {
        await using StoreUnderTest store = await CreateAsync(o => o.SubscriberCapacity = Capacity);
        store.Producer.Publish(ChatStreamingEvent.Started("c"));
        await using IAsyncEnumerator<ChatStreamingEvent> stalled = store.Reader.SubscribeAsync("c").GetAsyncEnumerator(TestGuard.Token);
        Assert.That(await stalled.MoveNextAsync().Guarded(), Is.True);

        await using IAsyncEnumerator<ChatStreamingEvent> live = store.Reader.SubscribeAsync("c").GetAsyncEnumerator(TestGuard.Token);
        Assert.That(await live.MoveNextAsync().Guarded(), Is.True);
        for (int i = 0; i < 1000; i++)
        {
            ChatStreamingEvent published = store.Producer.Publish(ChatStreamingEvent.Delta("c", Piece(i)));
            Assert.That(await live.MoveNextAsync().Guarded(), Is.True);
            Assert.That(live.Current, Is.EqualTo(published));
        }
    }

    [Test]
    public async Task A_subscriber_that_never_reads_a_long_coalesced_response_is_cut_off_and_can_resume_exactly()
    {
        const int SmallCapacity = 4;
        await using StoreUnderTest store = await CreateAsync(o => o.SubscriberCapacity = SmallCapacity);
        store.Producer.Publish(ChatStreamingEvent.Started("c"));
        await using IAsyncEnumerator<ChatStreamingEvent> sleeper = store.Reader.SubscribeAsync("c").GetAsyncEnumerator(TestGuard.Token);
        Assert.That(await sleeper.MoveNextAsync().Guarded(), Is.True);

        // Deltas of 4,096 characters cannot be merged further, so each one is a new queue item.
        string piece = new('a', 4096);
        for (int i = 0; i < 50; i++)
        {
            store.Producer.Publish(ChatStreamingEvent.Delta("c", piece));
        }

        ChatStreamingEvent finished = store.Producer.Publish(ChatStreamingEvent.Finished("c"));
        await store.DeliveredAsync("c", finished.Sequence).Guarded();

        var received = new List<ChatStreamingEvent> { sleeper.Current };
        var ex = await Assert.ThrowsAsync<ChatStreamingException>(async () =>
        {
            while (await sleeper.MoveNextAsync().Guarded())
            {
                received.Add(sleeper.Current);
            }
        });
        Assert.That(ex!.Error, Is.EqualTo(ChatStreamingError.SubscriberOverflow));
        Assert.That(received, Has.Count.LessThanOrEqualTo((2 * SmallCapacity) + 1));

        List<ChatStreamingEvent> rest = await store.Reader.SubscribeAsync("c", received[^1].Position).ReadAllAsync();
        Assert.That(ContractEvents.TextOf(received) + ContractEvents.TextOf(rest), Is.EqualTo(string.Concat(Enumerable.Repeat(piece, 50))), "resuming after the last event received loses nothing");
    }
}
