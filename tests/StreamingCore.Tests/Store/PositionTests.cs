using NUnit.Framework;
using StreamingCore.Tests.Support;

namespace StreamingCore.Tests.Store;

/// <summary>Resume from a <see cref="ChatStreamPosition"/>: exact within its epoch, never applied to another incarnation.</summary>
public class PositionTests
{
    [Test]
    public void Published_events_carry_their_conversation_epoch_and_position()
    {
        (DefaultChatStreamingStore store, _) = StoreFixture.Create();
        using (store)
        {
            List<ChatStreamingEvent> first = store.PublishResponse("c", "a", "b");
            List<ChatStreamingEvent> second = store.PublishResponse("c", "x");
            ChatStreamingEvent other = store.Publish(ChatStreamingEvent.Started("d"));

            string epoch = first[0].Epoch!;
            Assert.Multiple(() =>
            {
                Assert.That(epoch, Does.Match("^[0-9a-z]{10}$"));
                Assert.That(first.Concat(second).Select(e => e.Epoch), Is.All.EqualTo(epoch), "one epoch for the conversation's whole life");
                Assert.That(other.Epoch, Is.Not.EqualTo(epoch));
                Assert.That(first[2].Position, Is.EqualTo(new ChatStreamPosition(epoch, 3)));
                Assert.That(ChatStreamingEvent.Delta("c", "x").Epoch, Is.Null);
                Assert.That(ChatStreamingEvent.Delta("c", "x").Position, Is.EqualTo(default(ChatStreamPosition)));
            });
        }
    }

    [Test]
    public async Task Resuming_after_each_position_yields_exactly_the_rest_of_its_response()
    {
        (DefaultChatStreamingStore store, _) = StoreFixture.Create();
        using (store)
        {
            List<ChatStreamingEvent> published = store.PublishResponse("c", "a", "b", "c");
            foreach (ChatStreamingEvent after in published.Take(published.Count - 1))
            {
                List<ChatStreamingEvent> rest = await store.SubscribeAsync("c", after.Position).ToListAsync();
                Assert.That(rest, Is.EqualTo(published.Where(e => e.Sequence > after.Sequence)), $"after {after.Position}");
            }

            List<ChatStreamingEvent> fromZero = await store.SubscribeAsync("c", new ChatStreamPosition(published[0].Epoch!, 0)).ToListAsync();
            Assert.That(fromZero, Is.EqualTo(published), "sequence 0 of the epoch is before its first event");
        }
    }

    [Test]
    public async Task Resuming_at_the_last_position_waits_for_the_next_response_of_the_same_epoch()
    {
        (DefaultChatStreamingStore store, _) = StoreFixture.Create();
        using (store)
        {
            List<ChatStreamingEvent> first = store.PublishResponse("c", "a");
            await using IAsyncEnumerator<ChatStreamingEvent> next = store.SubscribeAsync("c", first[^1].Position).GetAsyncEnumerator(TestGuard.Token);
            ValueTask<bool> moved = next.MoveNextAsync();
            Assert.That(moved.IsCompleted, Is.False);

            ChatStreamingEvent started = store.Publish(ChatStreamingEvent.Started("c"));
            Assert.That(await moved, Is.True);
            Assert.That(next.Current, Is.EqualTo(started));
            Assert.That(next.Current.Position, Is.EqualTo(new ChatStreamPosition(first[0].Epoch!, 4)));
        }
    }

    [Test]
    public async Task A_position_from_a_previous_incarnation_is_not_retained_even_once_the_new_stream_is_longer()
    {
        (DefaultChatStreamingStore store, var time) = StoreFixture.Create(o => o.RetentionPeriod = TimeSpan.FromMinutes(1));
        using (store)
        {
            List<ChatStreamingEvent> old = store.PublishResponse("c", "old");
            time.Advance(TimeSpan.FromMinutes(1));
            Assert.That(store.FindConversation("c"), Is.Null, "released after retention");

            List<ChatStreamingEvent> renewed = store.PublishResponse("c", "n", "e", "w", "e", "r");
            Assert.That(renewed[0].Sequence, Is.EqualTo(1), "numbering starts over");
            Assert.That(renewed[0].Epoch, Is.Not.EqualTo(old[0].Epoch));

            foreach (ChatStreamingEvent stale in old)
            {
                var ex = await Assert.ThrowsAsync<ChatStreamingException>(async () => await store.SubscribeAsync("c", stale.Position).ToListAsync());
                Assert.That(ex!.Error, Is.EqualTo(ChatStreamingError.SequenceNotRetained));
                Assert.That(ex.Message, Does.Contain("another epoch").And.Contain(stale.Position.ToString()));
            }
        }
    }

    [Test]
    public async Task A_position_ahead_of_the_stream_or_of_an_unknown_conversation_is_not_retained()
    {
        (DefaultChatStreamingStore store, _) = StoreFixture.Create();
        using (store)
        {
            List<ChatStreamingEvent> published = store.PublishResponse("c", "a");
            var ahead = new ChatStreamPosition(published[0].Epoch!, published[^1].Sequence + 1);
            var ex = await Assert.ThrowsAsync<ChatStreamingException>(async () => await store.SubscribeAsync("c", ahead).ToListAsync());
            Assert.That(ex!.Error, Is.EqualTo(ChatStreamingError.SequenceNotRetained));
            Assert.That(ex.Message, Does.Contain("ahead"));

            ex = await Assert.ThrowsAsync<ChatStreamingException>(async () => await store.SubscribeAsync("never", new ChatStreamPosition("abc", 0)).ToListAsync());
            Assert.That(ex!.Error, Is.EqualTo(ChatStreamingError.SequenceNotRetained));
            Assert.That(store.FindConversation("never"), Is.Null, "a refused resume creates nothing");
        }
    }

    [Test]
    public void A_default_position_is_an_argument_error()
    {
        (DefaultChatStreamingStore store, _) = StoreFixture.Create();
        using (store)
        {
            Assert.That(() => store.SubscribeAsync("c", default(ChatStreamPosition)), Throws.ArgumentException.With.Property("ParamName").EqualTo("after"));
        }
    }

    [Test]
    public void FromPublished_rebuilds_an_event_equal_to_the_store_s()
    {
        (DefaultChatStreamingStore store, _) = StoreFixture.Create();
        using (store)
        {
            foreach (ChatStreamingEvent e in store.PublishResponse("c", "a").Append(store.Publish(ChatStreamingEvent.Started("c"))).Append(store.Publish(ChatStreamingEvent.Failed("c", "boom"))))
            {
                ChatStreamingEvent rebuilt = ChatStreamingEvent.FromPublished(e.Kind, e.ConversationId, e.Position, e.Timestamp, e.Text, e.Usage, e.Error);
                Assert.That(rebuilt, Is.EqualTo(e));
            }

            Assert.That(() => ChatStreamingEvent.FromPublished(ChatStreamingEventKind.Delta, "c", new ChatStreamPosition("e", 1), DateTimeOffset.UnixEpoch), Throws.ArgumentException.With.Property("ParamName").EqualTo("text"));
            Assert.That(() => ChatStreamingEvent.FromPublished(ChatStreamingEventKind.Started, "c", new ChatStreamPosition("e", 0), DateTimeOffset.UnixEpoch), Throws.ArgumentException.With.Property("ParamName").EqualTo("position"));
            Assert.That(() => store.Publish(ChatStreamingEvent.FromPublished(ChatStreamingEventKind.Started, "c", new ChatStreamPosition("e", 1), DateTimeOffset.UnixEpoch)), Throws.ArgumentException, "a published event cannot be published again");
        }
    }

    [Test]
    public void Default_event_has_an_empty_conversation_id_and_cannot_be_published()
    {
        (DefaultChatStreamingStore store, _) = StoreFixture.Create();
        using (store)
        {
            Assert.That(default(ChatStreamingEvent).ConversationId, Is.Empty);
            Assert.That(() => store.Publish(default), Throws.ArgumentException.With.Property("ParamName").EqualTo("streamingEvent"));
        }
    }
}
