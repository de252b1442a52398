using NSubstitute;
using NSubstitute.ExceptionExtensions;
using NUnit.Framework;
using StreamingCore.Tests.Support;
using static StreamingCore.Tests.Replication.ReplicationFixture;

namespace StreamingCore.Tests.Replication;

/// <summary>
/// The store's side of <see cref="IChatStreamingJournal"/>: each response it produces is placed by the journal's
/// <see cref="IChatStreamingJournal.BeginResponse"/> and every event of it is recorded with
/// <see cref="IChatStreamingJournal.Append"/>, in order.
/// </summary>
public class JournalTests
{
    private static readonly TimeSpan Idle = TimeSpan.FromSeconds(30);

    [Test]
    public void BeginResponse_is_called_once_per_Started_and_the_response_is_stamped_from_the_position_it_returns()
    {
        var journal = new RecordingJournal { Place = RecordingJournal.Always(new ChatStreamPosition("E1", 7)) };
        (DefaultChatStreamingStore store, _) = Create(journal);
        using (store)
        {
            ChatStreamingEvent started = store.Publish(ChatStreamingEvent.Started("c"));
            Assert.Multiple(() =>
            {
                Assert.That(journal.BeginCalls, Is.EqualTo(new[] { "c" }));
                Assert.That(started.Position, Is.EqualTo(new ChatStreamPosition("E1", 7)), "exactly where the journal placed it");
                Assert.That(started.Epoch, Is.EqualTo("E1"));
            });

            ChatStreamingEvent a = store.Publish(ChatStreamingEvent.Delta("c", "a"));
            ChatStreamingEvent b = store.Publish(ChatStreamingEvent.Delta("c", "b"));
            ChatStreamingEvent finished = store.Publish(ChatStreamingEvent.Finished("c"));
            Assert.Multiple(() =>
            {
                Assert.That(journal.BeginCalls, Has.Count.EqualTo(1), "deltas and the terminal event claim nothing");
                Assert.That(new[] { a.Position, b.Position, finished.Position }, Is.EqualTo(new[]
                {
                    new ChatStreamPosition("E1", 8), new ChatStreamPosition("E1", 9), new ChatStreamPosition("E1", 10),
                }));
            });

            // The next response: the journal says where (here, right after the first).
            journal.Place = RecordingJournal.Always(new ChatStreamPosition("E1", 11));
            List<ChatStreamingEvent> second = store.PublishResponse("c", "x");
            journal.Place = RecordingJournal.Always(new ChatStreamPosition("E1", 1));
            ChatStreamingEvent other = store.Publish(ChatStreamingEvent.Started("d"));

            Assert.Multiple(() =>
            {
                Assert.That(journal.BeginCalls, Is.EqualTo(new[] { "c", "c", "d" }), "once per Started, with its conversation id");
                Assert.That(Describe(second), Is.EqualTo(new[] { "Started E1:11", "Delta E1:12 x", "Finished E1:13" }));
                Assert.That(other.Position, Is.EqualTo(new ChatStreamPosition("E1", 1)), "each conversation is placed on its own");
            });
        }
    }

    [Test]
    public async Task A_new_epoch_from_the_journal_starts_the_stream_anew_and_releases_the_old_epochs_responses()
    {
        var journal = new RecordingJournal("E1");
        (DefaultChatStreamingStore store, _) = Create(journal);
        using (store)
        {
            List<ChatStreamingEvent> old = store.PublishResponse("c", "old ", "text");
            List<ChatStreamingEvent> older = store.PublishResponse("c", "more");
            Assert.That(Describe(old.Concat(older)), Is.EqualTo(new[]
            {
                "Started E1:1", "Delta E1:2 old", "Delta E1:3 text", "Finished E1:4", "Started E1:5", "Delta E1:6 more", "Finished E1:7",
            }));
            Assert.That(store.RetainedBytes, Is.GreaterThan(0));

            // The shared storage lost the conversation: the journal places the next response in a new epoch.
            journal.Place = RecordingJournal.Always(new ChatStreamPosition("E2", 1));
            ChatStreamingEvent started = store.Publish(ChatStreamingEvent.Started("c"));
            ChatStreamingEvent delta = store.Publish(ChatStreamingEvent.Delta("c", "new"));

            Assert.Multiple(() =>
            {
                Assert.That(started.Position, Is.EqualTo(new ChatStreamPosition("E2", 1)));
                Assert.That(delta.Position, Is.EqualTo(new ChatStreamPosition("E2", 2)));
                Assert.That(store.RetainedBytes, Is.Zero, "the old epoch's responses are released");
                Assert.That(store.GetResponseStatistics("c").Select(s => s.StartSequence), Is.EqualTo(new long[] { 1 }), "only the new response is held");
            });

            foreach (ChatStreamingEvent position in old.Concat(older))
            {
                var ex = await Assert.ThrowsAsync<ChatStreamingException>(async () => await store.SubscribeAsync("c", position.Position).ToListAsync());
                Assert.That(ex!.Error, Is.EqualTo(ChatStreamingError.SequenceNotRetained), $"after {position.Position}");
            }

            var fromStart = await Assert.ThrowsAsync<ChatStreamingException>(async () => await store.SubscribeAsync("c", new ChatStreamPosition("E1", 0)).ToListAsync());
            Assert.That(fromStart!.Error, Is.EqualTo(ChatStreamingError.SequenceNotRetained), "(old epoch, 0) is not the new stream");

            ChatStreamingEvent finished = store.Publish(ChatStreamingEvent.Finished("c"));
            List<ChatStreamingEvent> replay = await store.SubscribeAsync("c", new ChatStreamPosition("E2", 0)).ToListAsync();
            Assert.That(replay, Is.EqualTo(new[] { started, delta, finished }));
        }
    }

    [Test]
    public async Task A_journal_continuing_at_the_next_sequence_keeps_what_the_store_retains()
    {
        var journal = new RecordingJournal("E1");
        (DefaultChatStreamingStore store, _) = Create(journal);
        using (store)
        {
            List<ChatStreamingEvent> first = store.PublishResponse("c", "a");
            journal.Place = RecordingJournal.Always(new ChatStreamPosition("E1", 4));
            List<ChatStreamingEvent> second = store.PublishResponse("c", "b");

            Assert.That(await store.SubscribeAsync("c", new ChatStreamPosition("E1", 0)).ToListAsync(), Is.EqualTo(first));
            Assert.That(await store.SubscribeAsync("c", new ChatStreamPosition("E1", 3)).ToListAsync(), Is.EqualTo(second));
            Assert.That(store.GetResponseStatistics("c").Select(s => s.StartSequence), Is.EqualTo(new long[] { 1, 4 }));
        }
    }

    [Test]
    public async Task A_journal_placing_a_response_beyond_the_next_sequence_continues_there_and_releases_the_older_responses()
    {
        var journal = new RecordingJournal("E1");
        (DefaultChatStreamingStore store, _) = Create(journal);
        using (store)
        {
            List<ChatStreamingEvent> first = store.PublishResponse("c", "a");
            Assert.That(first[^1].Position, Is.EqualTo(new ChatStreamPosition("E1", 3)));

            // Other instances produced sequences 4 to 9.
            journal.Place = RecordingJournal.Always(new ChatStreamPosition("E1", 10));
            List<ChatStreamingEvent> later = store.PublishResponse("c", "b", "c");

            Assert.Multiple(() =>
            {
                Assert.That(Describe(later), Is.EqualTo(new[] { "Started E1:10", "Delta E1:11 b", "Delta E1:12 c", "Finished E1:13" }));
                Assert.That(store.GetResponseStatistics("c").Select(s => s.StartSequence), Is.EqualTo(new long[] { 10 }), "the first response is released");
            });

            foreach (long after in new long[] { 0, 1, 2, 3, 5 })
            {
                var byPosition = await Assert.ThrowsAsync<ChatStreamingException>(async () => await store.SubscribeAsync("c", new ChatStreamPosition("E1", after)).ToListAsync());
                Assert.That(byPosition!.Error, Is.EqualTo(ChatStreamingError.SequenceNotRetained), $"after E1:{after}");
            }

            var bySequence = await Assert.ThrowsAsync<ChatStreamingException>(async () => await store.SubscribeAsync("c", 1).ToListAsync());
            Assert.That(bySequence!.Error, Is.EqualTo(ChatStreamingError.SequenceNotRetained));

            Assert.That(await store.SubscribeAsync("c", new ChatStreamPosition("E1", 11)).ToListAsync(), Is.EqualTo(later.Skip(2)));
        }
    }

    [TestCase(ChatStreamingError.StoreUnavailable)]
    [TestCase(ChatStreamingError.ResponseAlreadyStarted)]
    public async Task A_journal_refusing_a_response_makes_Publish_throw_its_exception_and_stamps_nothing(ChatStreamingError error)
    {
        var journal = new RecordingJournal("E1");
        (DefaultChatStreamingStore store, _) = Create(journal, o => o.MaxActiveResponses = 1);
        using (store)
        {
            List<ChatStreamingEvent> first = store.PublishResponse("c", "a");
            await using IAsyncEnumerator<ChatStreamingEvent> next = store.SubscribeAsync("c", first[^1].Position).GetAsyncEnumerator(TestGuard.Token);
            ValueTask<bool> moved = next.MoveNextAsync();

            var refusal = new ChatStreamingException(error, "c", "refused by the journal");
            journal.Place = RecordingJournal.Refuse(refusal);
            var thrown = Assert.Throws<ChatStreamingException>(() => store.Publish(ChatStreamingEvent.Started("c")));

            Assert.Multiple(() =>
            {
                Assert.That(thrown, Is.SameAs(refusal), "the journal's exception, as it is");
                Assert.That(store.ActiveResponseCount, Is.Zero);
                Assert.That(journal.Appended, Is.EqualTo(first), "nothing recorded");
                Assert.That(moved.IsCompleted, Is.False, "nothing delivered");
                Assert.That(store.GetStatistics("c")!.StartSequence, Is.EqualTo(1), "the current response is still the first");
                Assert.That(() => store.Publish(ChatStreamingEvent.Delta("c", "x")), Throws.InstanceOf<ChatStreamingException>()
                    .With.Property(nameof(ChatStreamingException.Error)).EqualTo(ChatStreamingError.ResponseNotStarted));
            });

            // A refused Started on a conversation the store did not hold leaves nothing behind.
            Assert.That(() => store.Publish(ChatStreamingEvent.Started("d")), Throws.Exception.SameAs(refusal));
            Assert.That(store.ConversationCount, Is.EqualTo(1));

            // The journal works again: the slot (MaxActiveResponses = 1) is free and the sequence was not consumed.
            journal.Place = RecordingJournal.Always(new ChatStreamPosition("E1", 4));
            ChatStreamingEvent started = store.Publish(ChatStreamingEvent.Started("c"));
            bool delivered = await moved.Guarded();
            Assert.Multiple(() =>
            {
                Assert.That(started.Position, Is.EqualTo(new ChatStreamPosition("E1", 4)));
                Assert.That(store.ActiveResponseCount, Is.EqualTo(1));
                Assert.That(delivered, Is.True);
                Assert.That(next.Current, Is.EqualTo(started), "the waiting subscriber's next event is the new Started");
                Assert.That(journal.Appended[^1], Is.EqualTo(started));
            });
        }
    }

    [TestCase(3)]
    [TestCase(2)]
    [TestCase(1)]
    public async Task A_journal_placing_a_response_behind_the_last_stamped_sequence_is_an_error_and_changes_nothing(long placedAt)
    {
        var journal = new RecordingJournal("E1");
        (DefaultChatStreamingStore store, _) = Create(journal, o => o.MaxActiveResponses = 1);
        using (store)
        {
            List<ChatStreamingEvent> first = store.PublishResponse("c", "a");
            journal.Place = RecordingJournal.Always(new ChatStreamPosition("E1", placedAt));

            Assert.That(() => store.Publish(ChatStreamingEvent.Started("c")), Throws.TypeOf<InvalidOperationException>());

            List<ChatStreamingEvent> replay = await store.SubscribeAsync("c", new ChatStreamPosition("E1", 0)).ToListAsync();
            Assert.Multiple(() =>
            {
                Assert.That(store.ActiveResponseCount, Is.Zero);
                Assert.That(journal.Appended, Is.EqualTo(first));
                Assert.That(replay, Is.EqualTo(first), "still retained, same epoch");
            });

            journal.Place = RecordingJournal.Always(new ChatStreamPosition("E1", 4));
            ChatStreamingEvent started = store.Publish(ChatStreamingEvent.Started("c"));
            Assert.Multiple(() =>
            {
                Assert.That(started.Position, Is.EqualTo(new ChatStreamPosition("E1", 4)));
                Assert.That(store.ActiveResponseCount, Is.EqualTo(1), "the refused start gave its slot back");
            });
        }
    }

    [Test]
    public void Append_receives_every_stamped_event_in_order_and_nothing_that_was_refused()
    {
        var journal = new RecordingJournal("E1");
        (DefaultChatStreamingStore store, _) = Create(journal, o => o.MaxResponseLength = 5);
        using (store)
        {
            var stamped = new List<ChatStreamingEvent>
            {
                store.Publish(ChatStreamingEvent.Started("c")),
                store.Publish(ChatStreamingEvent.Delta("c", "Hel")),
            };
            Assert.That(() => store.Publish(ChatStreamingEvent.Delta("c", "lo world")), Throws.InstanceOf<ChatStreamingException>());
            Assert.That(() => store.Publish(ChatStreamingEvent.Started("c")), Throws.InstanceOf<ChatStreamingException>());
            stamped.Add(store.Publish(ChatStreamingEvent.Delta("c", "lo")));
            stamped.Add(store.Publish(ChatStreamingEvent.Finished("c", new TokenUsage(3, 2))));
            stamped.AddRange(store.PublishResponse("d", "x"));
            stamped.AddRange(store.PublishResponse("c", "again"));

            Assert.Multiple(() =>
            {
                Assert.That(journal.Appended, Is.EqualTo(stamped), "the stamped events themselves, in order");
                Assert.That(Describe(journal.Appended.Where(e => e.ConversationId == "c")), Is.EqualTo(new[]
                {
                    "Started E1:1", "Delta E1:2 Hel", "Delta E1:3 lo", "Finished E1:4", "Started E1:5", "Delta E1:6 again", "Finished E1:7",
                }));
                Assert.That(journal.Appended[3].Usage, Is.EqualTo(new TokenUsage(3, 2)));
                Assert.That(journal.BeginCalls, Is.EqualTo(new[] { "c", "d", "c" }), "the refused second Started never reached the journal");
            });
        }
    }

    [Test]
    public async Task Append_receives_the_Failed_event_that_ends_an_idle_response()
    {
        var journal = new RecordingJournal("E1");
        (DefaultChatStreamingStore store, var time) = Create(journal, o => o.IdleTimeout = Idle);
        using (store)
        {
            Task<List<ChatStreamingEvent>> subscriber = store.SubscribeAsync("c").ToListAsync();
            store.Publish(ChatStreamingEvent.Started("c"));
            store.Publish(ChatStreamingEvent.Delta("c", "a"));
            time.Advance(Idle);

            List<ChatStreamingEvent> received = await subscriber.Guarded();
            Assert.Multiple(() =>
            {
                Assert.That(Describe(journal.Appended), Is.EqualTo(new[] { "Started E1:1", "Delta E1:2 a", "Failed E1:3 idle timeout" }));
                Assert.That(journal.Appended, Is.EqualTo(received), "the journal has what the subscribers got");
                Assert.That(store.ActiveResponseCount, Is.Zero);
            });
        }
    }

    [Test]
    public async Task Append_receives_the_Failed_event_that_ends_an_active_response_when_the_store_is_disposed()
    {
        var journal = new RecordingJournal("E1");
        (DefaultChatStreamingStore store, _) = Create(journal);
        store.PublishResponse("done", "x");
        Task<List<ChatStreamingEvent>> subscriber = store.SubscribeAsync("c").ToListAsync();
        store.Publish(ChatStreamingEvent.Started("c"));
        store.Publish(ChatStreamingEvent.Delta("c", "a"));

        store.Dispose();

        List<ChatStreamingEvent> received = await subscriber.Guarded();
        Assert.Multiple(() =>
        {
            Assert.That(Describe(journal.Appended.Where(e => e.ConversationId == "c")), Is.EqualTo(new[] { "Started E1:1", "Delta E1:2 a", "Failed E1:3 store disposed" }));
            Assert.That(journal.Appended.Where(e => e.ConversationId == "c"), Is.EqualTo(received));
            Assert.That(journal.Appended.Count(e => e.ConversationId == "done"), Is.EqualTo(3), "an ended response gets nothing more");
        });
    }

    [Test]
    public void An_NSubstitute_journal_places_responses_and_receives_their_events()
    {
        IChatStreamingJournal journal = Substitute.For<IChatStreamingJournal>();
        journal.BeginResponse("c").Returns(new ChatStreamPosition("sub", 41), new ChatStreamPosition("sub", 45));
        (DefaultChatStreamingStore store, _) = Create(journal);
        using (store)
        {
            List<ChatStreamingEvent> published = store.PublishResponse("c", "Hello ", "world");
            Assert.That(Describe(published), Is.EqualTo(new[] { "Started sub:41", "Delta sub:42 Hello", "Delta sub:43 world", "Finished sub:44" }));

            journal.Received(1).BeginResponse("c");
            journal.Received(4).Append(Arg.Any<ChatStreamingEvent>());
            Received.InOrder(() =>
            {
                journal.BeginResponse("c");
                journal.Append(Arg.Is<ChatStreamingEvent>(e => e.Kind == ChatStreamingEventKind.Started && e.Position == new ChatStreamPosition("sub", 41)));
                journal.Append(Arg.Is<ChatStreamingEvent>(e => e.Text == "Hello " && e.Sequence == 42));
                journal.Append(Arg.Is<ChatStreamingEvent>(e => e.Text == "world" && e.Sequence == 43));
                journal.Append(Arg.Is<ChatStreamingEvent>(e => e.Kind == ChatStreamingEventKind.Finished && e.Position == new ChatStreamPosition("sub", 44)));
            });

            // The store's own rules refuse before the journal is asked.
            store.Publish(ChatStreamingEvent.Started("c"));
            journal.ClearReceivedCalls();
            Assert.That(() => store.Publish(ChatStreamingEvent.Started("c")), Throws.InstanceOf<ChatStreamingException>()
                .With.Property(nameof(ChatStreamingException.Error)).EqualTo(ChatStreamingError.ResponseAlreadyStarted));
            journal.DidNotReceive().BeginResponse(Arg.Any<string>());
            journal.DidNotReceive().Append(Arg.Any<ChatStreamingEvent>());

            // A refusal from the journal: the substitute throws.
            journal.BeginResponse("e").Throws(new ChatStreamingException(ChatStreamingError.StoreUnavailable, "e", "unreachable"));
            Assert.That(() => store.Publish(ChatStreamingEvent.Started("e")), Throws.InstanceOf<ChatStreamingException>()
                .With.Property(nameof(ChatStreamingException.Error)).EqualTo(ChatStreamingError.StoreUnavailable));
            journal.Received(1).BeginResponse("e");
            journal.DidNotReceive().Append(Arg.Any<ChatStreamingEvent>());
        }
    }

    [Test]
    public void BeginResponse_is_not_called_when_the_store_refuses_a_Started_for_MaxActiveResponses()
    {
        IChatStreamingJournal journal = Substitute.For<IChatStreamingJournal>();
        journal.BeginResponse(Arg.Any<string>()).Returns(new ChatStreamPosition("sub", 1));
        (DefaultChatStreamingStore store, _) = Create(journal, o => o.MaxActiveResponses = 1);
        using (store)
        {
            store.Publish(ChatStreamingEvent.Started("a"));
            Assert.That(() => store.Publish(ChatStreamingEvent.Started("b")), Throws.InstanceOf<ChatStreamingException>()
                .With.Property(nameof(ChatStreamingException.Error)).EqualTo(ChatStreamingError.TooManyActiveResponses));
            journal.Received(1).BeginResponse("a");
            journal.DidNotReceive().BeginResponse("b");
        }
    }
}
