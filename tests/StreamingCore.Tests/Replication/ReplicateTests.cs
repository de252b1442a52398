using NUnit.Framework;
using StreamingCore.Tests.Support;
using static StreamingCore.Tests.Replication.ReplicationFixture;

namespace StreamingCore.Tests.Replication;

/// <summary>
/// <see cref="DefaultChatStreamingStore.Replicate"/>: responses another instance produces, mirrored into this store for its
/// subscribers, in sequence order, without duplicates or holes, owned by their producer.
/// </summary>
public class ReplicateTests
{
    private const string E = "remote-epoch";

    private static readonly TimeSpan Idle = TimeSpan.FromSeconds(30);

    /// <summary>An <see cref="DefaultChatStreamingStore.Events"/> observer that signals the first event of a conversation.</summary>
    private sealed class EventsRecorder(string signalConversation) : IObserver<ChatStreamingEvent>
    {
        private readonly object _gate = new();
        private readonly List<ChatStreamingEvent> _events = [];

        public TaskCompletionSource Signalled { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public List<ChatStreamingEvent> Events
        {
            get
            {
                lock (_gate)
                {
                    return [.. _events];
                }
            }
        }

        public void OnNext(ChatStreamingEvent value)
        {
            lock (_gate)
            {
                _events.Add(value);
            }

            if (value.ConversationId == signalConversation)
            {
                Signalled.TrySetResult();
            }
        }

        public void OnError(Exception error) => Signalled.TrySetException(error);

        public void OnCompleted()
        {
        }
    }

    private static async Task<ChatStreamingError> SubscribeErrorAsync(DefaultChatStreamingStore store, string conversationId, ChatStreamPosition after)
    {
        var ex = await Assert.ThrowsAsync<ChatStreamingException>(async () => await store.SubscribeAsync(conversationId, after).ToListAsync());
        return ex!.Error;
    }

    [Test]
    public async Task A_mirrored_response_reaches_a_live_subscriber_exactly_and_stays_resumable()
    {
        var journal = new RecordingJournal();
        (DefaultChatStreamingStore store, _) = Create(journal, o => o.MaxActiveResponses = 1);
        using (store)
        {
            var observer = new EventsRecorder("local");
            using IDisposable observation = store.Events.Subscribe(observer);

            List<ChatStreamingEvent> first = RemoteResponse("c", E, 1, "Hi");
            Assert.That(store.ReplicateAll(first), Is.All.EqualTo(ChatReplicationResult.Applied));

            // A subscriber up to date with the first response follows the next one live.
            Task<List<ChatStreamingEvent>> live = store.SubscribeAsync("c", first[^1].Position).ToListAsync();
            List<ChatStreamingEvent> second = RemoteResponse("c", E, 4, "Hello ", "world", "!");
            Assert.That(store.Replicate(second[0]), Is.EqualTo(ChatReplicationResult.Applied));
            Assert.Multiple(() =>
            {
                Assert.That(store.ActiveResponseCount, Is.Zero, "a mirrored response does not count as this instance's");
                Assert.That(store.Publish(ChatStreamingEvent.Started("local")).Kind, Is.EqualTo(ChatStreamingEventKind.Started), "MaxActiveResponses = 1 still has room");
            });

            Assert.That(store.ReplicateAll(second.Skip(1)), Is.All.EqualTo(ChatReplicationResult.Applied));
            List<ChatStreamingEvent> received = await live.Guarded();

            Assert.Multiple(() =>
            {
                Assert.That(received, Is.EqualTo(second), "the remote events as published: kind, text, position, timestamp");
                Assert.That(Describe(received), Is.EqualTo(new[]
                {
                    $"Started {E}:4", $"Delta {E}:5 Hello", $"Delta {E}:6 world", $"Delta {E}:7 !", $"Finished {E}:8",
                }));
                Assert.That(received.Select(e => e.Timestamp), Is.EqualTo(second.Select(e => e.Timestamp)));
                Assert.That(store.ActiveResponseCount, Is.EqualTo(1), "only the local response");
            });

            // Retained and resumable by position and by sequence.
            Assert.That(await store.SubscribeAsync("c", new ChatStreamPosition(E, 0)).ToListAsync(), Is.EqualTo(first));
            Assert.That(await store.SubscribeAsync("c", new ChatStreamPosition(E, 3)).ToListAsync(), Is.EqualTo(second));
            Assert.That(await store.SubscribeAsync("c", new ChatStreamPosition(E, 5)).ToListAsync(), Is.EqualTo(second.Skip(2)));
            Assert.That(await store.SubscribeAsync("c", 6).ToListAsync(), Is.EqualTo(second.Skip(3)));
            Assert.That(store.GetResponseStatistics("c").Select(s => (s.StartSequence, s.DeltaCount, s.Outcome)), Is.EqualTo(new[]
            {
                (1L, 1, ChatResponseOutcome.Finished), (4L, 3, ChatResponseOutcome.Finished),
            }));

            // Events carries what this instance published: the local Started, and nothing mirrored before it.
            await observer.Signalled.Task.Guarded();
            Assert.Multiple(() =>
            {
                Assert.That(observer.Events.Select(e => e.ConversationId), Is.EqualTo(new[] { "local" }));
                Assert.That(journal.Appended.Select(e => e.ConversationId), Is.EqualTo(new[] { "local" }), "a mirrored response is not journaled again");
                Assert.That(journal.BeginCalls, Is.EqualTo(new[] { "local" }));
            });
        }
    }

    [Test]
    public async Task Mirrored_events_after_the_local_ones_do_not_reach_Events_either()
    {
        (DefaultChatStreamingStore store, _) = Create(journal: null);
        using (store)
        {
            var observer = new EventsRecorder("after");
            using IDisposable observation = store.Events.Subscribe(observer);
            store.PublishResponse("before", "x");
            store.ReplicateAll(RemoteResponse("c", E, 1, "mirrored"));
            store.Publish(ChatStreamingEvent.Started("after"));

            await observer.Signalled.Task.Guarded();
            Assert.That(observer.Events.Select(e => e.ConversationId), Is.EqualTo(new[] { "before", "before", "before", "after" }));
        }
    }

    [Test]
    public void Publishing_to_a_conversation_whose_active_response_is_mirrored_is_refused()
    {
        (DefaultChatStreamingStore store, _) = Create(journal: null);
        using (store)
        {
            store.Replicate(RemoteStarted("c", E, 1));
            store.Replicate(RemoteDelta("c", E, 2, "a"));

            Assert.Multiple(() =>
            {
                Assert.That(() => store.Publish(ChatStreamingEvent.Delta("c", "mine")), Throws.InstanceOf<ChatStreamingException>()
                    .With.Property(nameof(ChatStreamingException.Error)).EqualTo(ChatStreamingError.ResponseOwnedElsewhere));
                Assert.That(() => store.Publish(ChatStreamingEvent.Finished("c")), Throws.InstanceOf<ChatStreamingException>()
                    .With.Property(nameof(ChatStreamingException.Error)).EqualTo(ChatStreamingError.ResponseOwnedElsewhere));
                Assert.That(() => store.Publish(ChatStreamingEvent.Failed("c", "mine")), Throws.InstanceOf<ChatStreamingException>()
                    .With.Property(nameof(ChatStreamingException.Error)).EqualTo(ChatStreamingError.ResponseOwnedElsewhere));
                Assert.That(() => store.Publish(ChatStreamingEvent.Started("c")), Throws.InstanceOf<ChatStreamingException>()
                    .With.Property(nameof(ChatStreamingException.Error)).EqualTo(ChatStreamingError.ResponseAlreadyStarted));
            });

            // Nothing of that was stamped: the remote stream continues at 3.
            Assert.That(store.Replicate(RemoteDelta("c", E, 3, "b")), Is.EqualTo(ChatReplicationResult.Applied));
            Assert.That(store.Replicate(RemoteFinished("c", E, 4)), Is.EqualTo(ChatReplicationResult.Applied));

            // Once it ended, this instance's events are the ordinary lifecycle errors, and a new local response continues the stream.
            Assert.That(() => store.Publish(ChatStreamingEvent.Delta("c", "late")), Throws.InstanceOf<ChatStreamingException>()
                .With.Property(nameof(ChatStreamingException.Error)).EqualTo(ChatStreamingError.ResponseNotStarted));
            Assert.That(store.Publish(ChatStreamingEvent.Started("c")).Position, Is.EqualTo(new ChatStreamPosition(E, 5)));
        }
    }

    [Test]
    public async Task A_duplicate_is_already_applied_and_delivered_once()
    {
        (DefaultChatStreamingStore store, _) = Create(journal: null);
        using (store)
        {
            Task<List<ChatStreamingEvent>> subscriber = store.SubscribeAsync("c").ToListAsync();
            List<ChatStreamingEvent> response = RemoteResponse("c", E, 1, "a", "b");

            var results = new List<ChatReplicationResult>
            {
                store.Replicate(response[0]),
                store.Replicate(response[0]),
                store.Replicate(response[1]),
                store.Replicate(response[1]),
                store.Replicate(response[0]),
                store.Replicate(response[2]),
                store.Replicate(response[3]),
                store.Replicate(response[3]),
            };
            results.AddRange(store.ReplicateAll(response));

            List<ChatStreamingEvent> received = await subscriber.Guarded();
            Assert.Multiple(() =>
            {
                Assert.That(results, Is.EqualTo(new[]
                {
                    ChatReplicationResult.Applied, ChatReplicationResult.AlreadyApplied,
                    ChatReplicationResult.Applied, ChatReplicationResult.AlreadyApplied,
                    ChatReplicationResult.AlreadyApplied,
                    ChatReplicationResult.Applied,
                    ChatReplicationResult.Applied, ChatReplicationResult.AlreadyApplied,
                    ChatReplicationResult.AlreadyApplied, ChatReplicationResult.AlreadyApplied,
                    ChatReplicationResult.AlreadyApplied, ChatReplicationResult.AlreadyApplied,
                }));
                Assert.That(received, Is.EqualTo(response), "each event once");
                Assert.That(store.GetStatistics("c")!.DeltaCount, Is.EqualTo(2));
                Assert.That(ContractEvents.TextOf(received), Is.EqualTo("ab"));
            });
        }
    }

    [Test]
    public async Task An_event_after_a_gap_is_missing_and_applies_once_the_gap_is_filled()
    {
        (DefaultChatStreamingStore store, _) = Create(journal: null);
        using (store)
        {
            await using IAsyncEnumerator<ChatStreamingEvent> subscriber = store.SubscribeAsync("c").GetAsyncEnumerator(TestGuard.Token);
            ValueTask<bool> first = subscriber.MoveNextAsync();
            Assert.That(store.Replicate(RemoteStarted("c", E, 1)), Is.EqualTo(ChatReplicationResult.Applied));
            Assert.That(await first.Guarded(), Is.True);
            Assert.That(subscriber.Current, Is.EqualTo(RemoteStarted("c", E, 1)));

            ValueTask<bool> next = subscriber.MoveNextAsync();
            Assert.Multiple(() =>
            {
                Assert.That(store.Replicate(RemoteDelta("c", E, 3, "second")), Is.EqualTo(ChatReplicationResult.Missing));
                Assert.That(store.Replicate(RemoteFinished("c", E, 4)), Is.EqualTo(ChatReplicationResult.Missing));
                Assert.That(store.Replicate(RemoteFailed("c", E, 3, "boom")), Is.EqualTo(ChatReplicationResult.Missing));
                Assert.That(store.Replicate(RemoteDelta("c", E, 12, "far")), Is.EqualTo(ChatReplicationResult.Missing));
                Assert.That(next.IsCompleted, Is.False, "nothing delivered");
                Assert.That(store.GetStatistics("c")!.DeltaCount, Is.Zero, "nothing retained");
            });

            Assert.That(store.Replicate(RemoteDelta("c", E, 2, "first ")), Is.EqualTo(ChatReplicationResult.Applied), "the gap's own event; not a duplicate");
            Assert.That(store.Replicate(RemoteDelta("c", E, 3, "second")), Is.EqualTo(ChatReplicationResult.Applied));
            Assert.That(store.Replicate(RemoteFinished("c", E, 4)), Is.EqualTo(ChatReplicationResult.Applied));

            var rest = new List<ChatStreamingEvent>();
            Assert.That(await next.Guarded(), Is.True);
            rest.Add(subscriber.Current);
            while (await subscriber.MoveNextAsync())
            {
                rest.Add(subscriber.Current);
            }

            Assert.That(Describe(rest), Is.EqualTo(new[] { $"Delta {E}:2 first", $"Delta {E}:3 second", $"Finished {E}:4" }));
        }
    }

    [Test]
    public void A_later_event_of_a_conversation_the_store_does_not_hold_is_missing_and_leaves_nothing_behind()
    {
        (DefaultChatStreamingStore store, _) = Create(journal: null);
        using (store)
        {
            Assert.Multiple(() =>
            {
                Assert.That(store.Replicate(RemoteDelta("c", E, 2, "x")), Is.EqualTo(ChatReplicationResult.Missing));
                Assert.That(store.Replicate(RemoteFinished("c", E, 3)), Is.EqualTo(ChatReplicationResult.Missing));
                Assert.That(store.Replicate(RemoteFailed("c", E, 3, "boom")), Is.EqualTo(ChatReplicationResult.Missing));
                Assert.That(store.ConversationCount, Is.Zero);
                Assert.That(store.FindConversation("c"), Is.Null);
                Assert.That(store.GetStatistics("c"), Is.Null);
            });
        }
    }

    [Test]
    public async Task A_Started_in_a_new_epoch_replaces_the_mirrored_response_in_progress()
    {
        (DefaultChatStreamingStore store, _) = Create(journal: null);
        using (store)
        {
            Task<List<ChatStreamingEvent>> old = store.SubscribeAsync("c").ToListAsync();
            store.ReplicateAll([RemoteStarted("c", "E1", 1), RemoteDelta("c", "E1", 2, "lost")]);

            Assert.That(store.Replicate(RemoteStarted("c", "E2", 1)), Is.EqualTo(ChatReplicationResult.Applied));

            List<ChatStreamingEvent> oldReceived = await old.Guarded();
            Assert.Multiple(() =>
            {
                Assert.That(Describe(oldReceived), Is.EqualTo(new[] { "Started E1:1", "Delta E1:2 lost", "Failed E1:3 stream replaced" }));
                Assert.That(store.ActiveResponseCount, Is.Zero);
            });

            // A new subscriber gets the new stream's response.
            Task<List<ChatStreamingEvent>> renewed = store.SubscribeAsync("c").ToListAsync();
            Assert.That(store.ReplicateAll([RemoteDelta("c", "E2", 2, "new"), RemoteFinished("c", "E2", 3)]), Is.All.EqualTo(ChatReplicationResult.Applied));
            Assert.That(Describe(await renewed.Guarded()), Is.EqualTo(new[] { "Started E2:1", "Delta E2:2 new", "Finished E2:3" }));

            // The old stream is gone: its positions are not retained, and its late events do not apply.
            Assert.That(await SubscribeErrorAsync(store, "c", new ChatStreamPosition("E1", 0)), Is.EqualTo(ChatStreamingError.SequenceNotRetained));
            Assert.That(await SubscribeErrorAsync(store, "c", new ChatStreamPosition("E1", 1)), Is.EqualTo(ChatStreamingError.SequenceNotRetained));
            Assert.That(store.Replicate(RemoteDelta("c", "E1", 3, "late")), Is.EqualTo(ChatReplicationResult.Missing));
            Assert.That(store.GetResponseStatistics("c").Select(s => s.StartSequence), Is.EqualTo(new long[] { 1 }), "only E2's response");
        }
    }

    [Test]
    public async Task A_Started_in_a_new_epoch_ends_this_stores_own_response_in_progress()
    {
        (DefaultChatStreamingStore store, _) = Create(journal: null);
        using (store)
        {
            Task<List<ChatStreamingEvent>> subscriber = store.SubscribeAsync("c").ToListAsync();
            ChatStreamingEvent started = store.Publish(ChatStreamingEvent.Started("c"));
            store.Publish(ChatStreamingEvent.Delta("c", "mine"));
            string epoch = started.Epoch!;

            Assert.That(store.Replicate(RemoteStarted("c", "E2", 1)), Is.EqualTo(ChatReplicationResult.Applied));

            List<ChatStreamingEvent> received = await subscriber.Guarded();
            Assert.Multiple(() =>
            {
                Assert.That(Describe(received), Is.EqualTo(new[] { $"Started {epoch}:1", $"Delta {epoch}:2 mine", $"Failed {epoch}:3 stream replaced" }));
                Assert.That(store.ActiveResponseCount, Is.Zero);
                Assert.That(() => store.Publish(ChatStreamingEvent.Delta("c", "more")), Throws.InstanceOf<ChatStreamingException>()
                    .With.Property(nameof(ChatStreamingException.Error)).EqualTo(ChatStreamingError.ResponseOwnedElsewhere),
                    "the conversation's active response is now the other instance's");
            });
        }
    }

    [Test]
    public async Task A_Started_after_a_gap_in_the_same_epoch_starts_a_mirrored_response_there()
    {
        (DefaultChatStreamingStore store, _) = Create(journal: null);
        using (store)
        {
            List<ChatStreamingEvent> first = RemoteResponse("c", E, 1, "a");
            store.ReplicateAll(first);

            // While a response is active, the next Started (even after a gap) means its end is missing.
            store.Replicate(RemoteStarted("c", E, 4));
            Assert.Multiple(() =>
            {
                Assert.That(store.Replicate(RemoteStarted("c", E, 5)), Is.EqualTo(ChatReplicationResult.Missing));
                Assert.That(store.Replicate(RemoteStarted("c", E, 9)), Is.EqualTo(ChatReplicationResult.Missing));
            });
            store.Replicate(RemoteFinished("c", E, 5));

            // Sequences 6 to 9 were never replicated here: the response starting at 10 applies.
            Task<List<ChatStreamingEvent>> live = store.SubscribeAsync("c", new ChatStreamPosition(E, 5)).ToListAsync();
            List<ChatStreamingEvent> later = RemoteResponse("c", E, 10, "b");
            Assert.That(store.ReplicateAll(later), Is.All.EqualTo(ChatReplicationResult.Applied));
            Assert.That(await live.Guarded(), Is.EqualTo(later));

            Assert.That(await store.SubscribeAsync("c", new ChatStreamPosition(E, 9)).ToListAsync(), Is.EqualTo(later));
            Assert.That(await SubscribeErrorAsync(store, "c", new ChatStreamPosition(E, 0)), Is.EqualTo(ChatStreamingError.SequenceNotRetained), "what came before the gap is released");
            Assert.That(await SubscribeErrorAsync(store, "c", new ChatStreamPosition(E, 3)), Is.EqualTo(ChatStreamingError.SequenceNotRetained));
            Assert.Multiple(() =>
            {
                Assert.That(store.GetResponseStatistics("c").Select(s => s.StartSequence), Is.EqualTo(new long[] { 10 }));
                Assert.That(store.Replicate(RemoteDelta("c", E, 7, "skipped")), Is.EqualTo(ChatReplicationResult.AlreadyApplied), "behind the stream");
            });
        }
    }

    [Test]
    public async Task A_remote_terminal_event_ends_this_stores_own_response()
    {
        (DefaultChatStreamingStore store, var time) = Create(journal: null, o => o.IdleTimeout = Idle);
        using (store)
        {
            Task<List<ChatStreamingEvent>> subscriber = store.SubscribeAsync("c").ToListAsync();
            ChatStreamingEvent started = store.Publish(ChatStreamingEvent.Started("c"));
            store.Publish(ChatStreamingEvent.Delta("c", "a"));
            string epoch = started.Epoch!;
            Assert.That(store.ActiveResponseCount, Is.EqualTo(1));

            // Another instance may not continue this store's response, and a terminal must follow the last event.
            Assert.Multiple(() =>
            {
                Assert.That(store.Replicate(RemoteDelta("c", epoch, 3, "theirs")), Is.EqualTo(ChatReplicationResult.Missing));
                Assert.That(store.Replicate(RemoteFailed("c", epoch, 4, "lease lapsed")), Is.EqualTo(ChatReplicationResult.Missing));
                Assert.That(store.Replicate(RemoteFailed("c", "other-epoch", 3, "lease lapsed")), Is.EqualTo(ChatReplicationResult.Missing));
            });
            Assert.That(store.Publish(ChatStreamingEvent.Delta("c", "b")).Sequence, Is.EqualTo(3), "the refused remote events stamped nothing");

            Assert.That(store.Replicate(RemoteFailed("c", epoch, 4, "lease lapsed")), Is.EqualTo(ChatReplicationResult.Applied));

            List<ChatStreamingEvent> received = await subscriber.Guarded();
            Assert.Multiple(() =>
            {
                Assert.That(Describe(received), Is.EqualTo(new[] { $"Started {epoch}:1", $"Delta {epoch}:2 a", $"Delta {epoch}:3 b", $"Failed {epoch}:4 lease lapsed" }));
                Assert.That(store.ActiveResponseCount, Is.Zero);
                Assert.That(store.GetStatistics("c")!.Outcome, Is.EqualTo(ChatResponseOutcome.Failed));
                Assert.That(() => store.Publish(ChatStreamingEvent.Delta("c", "c")), Throws.InstanceOf<ChatStreamingException>()
                    .With.Property(nameof(ChatStreamingException.Error)).EqualTo(ChatStreamingError.ResponseNotStarted));
            });

            // Its idle timer is gone with it: no second terminal event.
            time.Advance(Idle * 2);
            Assert.That(Describe(await store.SubscribeAsync("c", 1).ToListAsync()), Is.EqualTo(Describe(received.Skip(1))));
        }
    }

    [Test]
    public void An_event_with_no_epoch_cannot_be_replicated()
    {
        (DefaultChatStreamingStore store, _) = Create(journal: null);
        using (store)
        {
            Assert.Multiple(() =>
            {
                Assert.That(() => store.Replicate(ChatStreamingEvent.Delta("c", "never published")), Throws.ArgumentException
                    .With.Property(nameof(ArgumentException.ParamName)).EqualTo("published"));
                Assert.That(() => store.Replicate(ChatStreamingEvent.Started("c")), Throws.ArgumentException
                    .With.Property(nameof(ArgumentException.ParamName)).EqualTo("published"));
                Assert.That(() => store.Replicate(default), Throws.ArgumentException
                    .With.Property(nameof(ArgumentException.ParamName)).EqualTo("published"));
                Assert.That(store.ConversationCount, Is.Zero);
            });
        }
    }

    [Test]
    public void Replicate_after_Dispose_throws_ObjectDisposedException()
    {
        (DefaultChatStreamingStore store, _) = Create(journal: null);
        store.ReplicateAll([RemoteStarted("c", E, 1)]);
        store.Dispose();

        Assert.Multiple(() =>
        {
            Assert.That(() => store.Replicate(RemoteStarted("d", E, 1)), Throws.InstanceOf<ObjectDisposedException>());
            Assert.That(() => store.Replicate(RemoteDelta("c", E, 2, "x")), Throws.InstanceOf<ObjectDisposedException>());
            Assert.That(() => store.Replicate(RemoteDelta("unknown", E, 2, "x")), Throws.InstanceOf<ObjectDisposedException>());
        });
    }

    [Test]
    public async Task Dispose_ends_a_mirrored_active_response_for_its_subscribers()
    {
        var journal = new RecordingJournal();
        (DefaultChatStreamingStore store, _) = Create(journal);
        Task<List<ChatStreamingEvent>> subscriber = store.SubscribeAsync("c").ToListAsync();
        store.ReplicateAll([RemoteStarted("c", E, 1), RemoteDelta("c", E, 2, "partial")]);

        store.Dispose();

        List<ChatStreamingEvent> received = await subscriber.Guarded();
        Assert.Multiple(() =>
        {
            Assert.That(Describe(received), Is.EqualTo(new[] { $"Started {E}:1", $"Delta {E}:2 partial", $"Failed {E}:3 store disposed" }));
            Assert.That(store.ActiveResponseCount, Is.Zero);
            Assert.That(journal.Appended, Is.Empty, "the producer's instance records its own end");
        });
    }

    [Test]
    public async Task A_waiting_subscriber_receives_a_mirrored_response_that_starts_later()
    {
        (DefaultChatStreamingStore store, _) = Create(journal: null);
        using (store)
        {
            Task<List<ChatStreamingEvent>> waiting = store.SubscribeAsync("c", 0).ToListAsync();
            Assert.Multiple(() =>
            {
                Assert.That(store.WaitingSubscriberCount, Is.EqualTo(1));
                Assert.That(waiting.IsCompleted, Is.False);
            });

            List<ChatStreamingEvent> response = RemoteResponse("c", E, 1, "Hello", ", ", "there");
            Assert.That(store.Replicate(response[0]), Is.EqualTo(ChatReplicationResult.Applied));
            Assert.That(store.WaitingSubscriberCount, Is.Zero, "no longer waiting once a response started");
            store.ReplicateAll(response.Skip(1));

            List<ChatStreamingEvent> received = await waiting.Guarded();
            Assert.Multiple(() =>
            {
                Assert.That(received, Is.EqualTo(response));
                Assert.That(ContractEvents.TextOf(received), Is.EqualTo("Hello, there"));
                Assert.That(received.Select(e => e.Epoch), Is.All.EqualTo(E));
            });
        }
    }

    [Test]
    public void A_mirrored_response_has_no_idle_timeout_here()
    {
        (DefaultChatStreamingStore store, var time) = Create(journal: null, o => o.IdleTimeout = Idle);
        using (store)
        {
            store.Replicate(RemoteStarted("c", E, 1));
            time.Advance(Idle * 3);

            Assert.Multiple(() =>
            {
                Assert.That(store.GetStatistics("c")!.Outcome, Is.EqualTo(ChatResponseOutcome.Streaming));
                Assert.That(store.Replicate(RemoteDelta("c", E, 2, "slow")), Is.EqualTo(ChatReplicationResult.Applied), "its producer's instance times it out");
            });
        }
    }
}
