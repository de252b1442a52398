using NUnit.Framework;

namespace StreamingCore.Testing.Contract;

/// <summary>Resume from a <see cref="ChatStreamPosition"/>: exact within its epoch, never applied to another incarnation.</summary>
/// <param name="target">The implementation under test.</param>
[TestFixtureSource(typeof(ContractTargets), nameof(ContractTargets.All))]
public class PositionContract(IStoreTarget target) : StoreContract(target)
{
    [Test]
    public async Task Published_events_carry_their_conversation_epoch_and_position()
    {
        await using StoreUnderTest store = await CreateAsync();
        List<ChatStreamingEvent> first = store.Producer.PublishResponse("c", "a", "b");
        List<ChatStreamingEvent> second = store.Producer.PublishResponse("c", "x");
        ChatStreamingEvent other = store.Producer.Publish(ChatStreamingEvent.Started("d"));

        string epoch = first[0].Epoch!;
        Assert.Multiple(() =>
        {
            Assert.That(epoch, Is.Not.Empty);
            Assert.That(ChatStreamPosition.TryParse(first[2].Position.ToString(), out ChatStreamPosition parsed), Is.True, "a position is something a client can send back");
            Assert.That(parsed, Is.EqualTo(first[2].Position));
            Assert.That(first.Concat(second).Select(e => e.Epoch), Is.All.EqualTo(epoch), "one epoch for the conversation's whole life");
            Assert.That(other.Epoch, Is.Not.EqualTo(epoch));
            Assert.That(first[2].Position, Is.EqualTo(new ChatStreamPosition(epoch, 3)));
            Assert.That(ChatStreamingEvent.Delta("c", "x").Epoch, Is.Null);
            Assert.That(ChatStreamingEvent.Delta("c", "x").Position, Is.EqualTo(default(ChatStreamPosition)));
        });

        // The Reader names the same stream: the producer's position resumes there.
        Assert.That(await store.Reader.SubscribeAsync("c", first[^1].Position).ReadAllAsync(), Is.EqualTo(second));
    }

    [Test]
    public async Task Resuming_after_each_position_yields_exactly_the_rest_of_its_response()
    {
        await using StoreUnderTest store = await CreateAsync();
        List<ChatStreamingEvent> published = store.Producer.PublishResponse("c", "a", "b", "c");
        foreach (ChatStreamingEvent after in published.Take(published.Count - 1))
        {
            List<ChatStreamingEvent> rest = await store.Reader.SubscribeAsync("c", after.Position).ReadAllAsync();
            Assert.That(rest, Is.EqualTo(published.Where(e => e.Sequence > after.Sequence)), $"after {after.Position}");
        }

        List<ChatStreamingEvent> fromZero = await store.Reader.SubscribeAsync("c", new ChatStreamPosition(published[0].Epoch!, 0)).ReadAllAsync();
        Assert.That(fromZero, Is.EqualTo(published), "sequence 0 of the epoch is before its first event");
    }

    [Test]
    public async Task Resuming_at_the_last_position_waits_for_the_next_response_of_the_same_epoch()
    {
        await using StoreUnderTest store = await CreateAsync();
        List<ChatStreamingEvent> first = store.Producer.PublishResponse("c", "a");
        await using IAsyncEnumerator<ChatStreamingEvent> next = store.Reader.SubscribeAsync("c", first[^1].Position).GetAsyncEnumerator(TestGuard.Token);
        ValueTask<bool> moved = next.MoveNextAsync();
        await store.SubscribedAsync("c", 1).Guarded();
        Assert.That(moved.IsCompleted, Is.False, "nothing after the last position was published yet");

        ChatStreamingEvent started = store.Producer.Publish(ChatStreamingEvent.Started("c"));
        Assert.That(await moved.Guarded(), Is.True);
        Assert.That(next.Current, Is.EqualTo(started));
        Assert.That(next.Current.Position, Is.EqualTo(new ChatStreamPosition(first[0].Epoch!, 4)));
    }

    [Test]
    public async Task A_position_from_a_previous_incarnation_is_not_retained_even_once_the_new_stream_is_longer()
    {
        await using StoreUnderTest store = await CreateAsync(o => o.RetentionPeriod = TimeSpan.FromMinutes(1));
        List<ChatStreamingEvent> old = store.Producer.PublishResponse("c", "old");
        store.Time.Advance(TimeSpan.FromMinutes(1));
        await store.ReleasedAsync("c").Guarded();

        List<ChatStreamingEvent> renewed = store.Producer.PublishResponse("c", "n", "e", "w", "e", "r");
        if (store.NumberingOutlivesRetention)
        {
            Assert.That(renewed[0].Epoch, Is.EqualTo(old[0].Epoch), "the same stream goes on");
            Assert.That(renewed[0].Sequence, Is.EqualTo(old[^1].Sequence + 1), "numbering goes on, so no old position names a new event");
        }
        else
        {
            Assert.That(renewed[0].Sequence, Is.EqualTo(1), "numbering starts over");
            Assert.That(renewed[0].Epoch, Is.Not.EqualTo(old[0].Epoch));
        }

        // The position of the last old event is the one a client that saw it all holds: up to date, it would wait for
        // what comes next; the others ask for expired events.
        foreach (ChatStreamingEvent stale in store.NumberingOutlivesRetention ? old.SkipLast(1) : old)
        {
            var ex = await Assert.ThrowsAsync<ChatStreamingException>(async () => await store.Reader.SubscribeAsync("c", stale.Position).ReadAllAsync());
            Assert.That(ex!.Error, Is.EqualTo(ChatStreamingError.SequenceNotRetained));
            Assert.That(ex.Message, Does.Contain(stale.Position.ToString()));
            if (!store.NumberingOutlivesRetention)
            {
                Assert.That(ex.Message, Does.Contain("another epoch"));
            }
        }
    }

    [Test]
    public async Task A_position_ahead_of_the_stream_or_of_an_unknown_conversation_is_not_retained()
    {
        await using StoreUnderTest store = await CreateAsync();
        List<ChatStreamingEvent> published = store.Producer.PublishResponse("c", "a");
        var ahead = new ChatStreamPosition(published[0].Epoch!, published[^1].Sequence + 1);
        var ex = await Assert.ThrowsAsync<ChatStreamingException>(async () => await store.Reader.SubscribeAsync("c", ahead).ReadAllAsync());
        Assert.That(ex!.Error, Is.EqualTo(ChatStreamingError.SequenceNotRetained));
        Assert.That(ex.Message, Does.Contain("ahead"));

        ex = await Assert.ThrowsAsync<ChatStreamingException>(async () => await store.Reader.SubscribeAsync("never", new ChatStreamPosition("abc", 0)).ReadAllAsync());
        Assert.That(ex!.Error, Is.EqualTo(ChatStreamingError.SequenceNotRetained));
        await store.ReleasedAsync("never").Guarded();
    }

    [Test]
    public async Task A_default_position_is_an_argument_error()
    {
        await using StoreUnderTest store = await CreateAsync();
        Assert.That(() => store.Reader.SubscribeAsync("c", default(ChatStreamPosition)), Throws.ArgumentException.With.Property("ParamName").EqualTo("after"));
    }

    [Test]
    public async Task FromPublished_rebuilds_an_event_equal_to_the_store_s()
    {
        await using StoreUnderTest store = await CreateAsync();
        IChatStreamingStore producer = store.Producer;
        List<ChatStreamingEvent> published = [.. producer.PublishResponse("c", "a"), producer.Publish(ChatStreamingEvent.Started("c")), producer.Publish(ChatStreamingEvent.Failed("c", "boom"))];
        foreach (ChatStreamingEvent e in published)
        {
            ChatStreamingEvent rebuilt = ChatStreamingEvent.FromPublished(e.Kind, e.ConversationId, e.Position, e.Timestamp, e.Text, e.Usage, e.Error);
            Assert.That(rebuilt, Is.EqualTo(e));
        }

        Assert.That(() => ChatStreamingEvent.FromPublished(ChatStreamingEventKind.Delta, "c", new ChatStreamPosition("e", 1), DateTimeOffset.UnixEpoch), Throws.ArgumentException.With.Property("ParamName").EqualTo("text"));
        Assert.That(() => ChatStreamingEvent.FromPublished(ChatStreamingEventKind.Started, "c", new ChatStreamPosition("e", 0), DateTimeOffset.UnixEpoch), Throws.ArgumentException.With.Property("ParamName").EqualTo("position"));
        Assert.That(() => producer.Publish(ChatStreamingEvent.FromPublished(ChatStreamingEventKind.Started, "c", new ChatStreamPosition("e", 1), DateTimeOffset.UnixEpoch)), Throws.ArgumentException, "a published event cannot be published again");
    }

    [Test]
    public async Task Default_event_has_an_empty_conversation_id_and_cannot_be_published()
    {
        await using StoreUnderTest store = await CreateAsync();
        Assert.That(default(ChatStreamingEvent).ConversationId, Is.Empty);
        Assert.That(() => store.Producer.Publish(default), Throws.ArgumentException.With.Property("ParamName").EqualTo("streamingEvent"));
    }
}
