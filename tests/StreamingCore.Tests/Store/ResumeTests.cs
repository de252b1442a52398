using NUnit.Framework;
using StreamingCore.Tests.Support;

namespace StreamingCore.Tests.Store;

public class ResumeTests
{
    private const int ResponseEvents = 200;

    private static string Piece(int i) => $"t{i} ";

    /// <summary>
    /// For every stop position N of a 200-event response: a subscriber reads up to N and leaves; then, while the
    /// producer thread publishes the rest, it resumes after N and must receive exactly N+1..200, once each, in order.
    /// </summary>
    [Test]
    public async Task Resume_after_every_position_while_the_producer_keeps_publishing_is_exactly_once_and_in_order()
    {
        (DefaultChatStreamingStore store, _) = StoreFixture.Create(o => o.SubscriberCapacity = 4 * ResponseEvents);
        using (store)
        {
            string expectedText = string.Concat(Enumerable.Range(1, ResponseEvents - 2).Select(Piece));
            for (int stopAt = 0; stopAt < ResponseEvents; stopAt++)
            {
                string id = $"resume-{stopAt}";
                var consumerLeft = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);

                // Events 1..stopAt (at least Started) go out first; the rest only once the consumer has left,
                // concurrently with its re-subscription.
                Task producer = Task.Run(async () =>
                {
                    int published = 0;
                    void PublishNext()
                    {
                        published++;
                        store.Publish(published switch
                        {
                            1 => ChatStreamingEvent.Started(id),
                            ResponseEvents => ChatStreamingEvent.Finished(id),
                            _ => ChatStreamingEvent.Delta(id, Piece(published - 1)),
                        });
                    }

                    while (published < Math.Max(1, stopAt))
                    {
                        PublishNext();
                    }

                    await consumerLeft.Task.ConfigureAwait(false);
                    while (published < ResponseEvents)
                    {
                        PublishNext();
                    }
                });

                var before = new List<ChatStreamingEvent>();
                if (stopAt > 0)
                {
                    await foreach (ChatStreamingEvent e in store.SubscribeAsync(id).WithCancellation(TestGuard.Token))
                    {
                        before.Add(e);
                        if (e.Sequence == stopAt)
                        {
                            break;
                        }
                    }
                }

                consumerLeft.SetResult();
                List<ChatStreamingEvent> after = await store.SubscribeAsync(id, stopAt).ToListAsync();
                await producer.Guarded();

                long[] sequences = StoreFixture.Sequences(before.Concat(after));
                Assert.That(sequences, Is.EqualTo(Enumerable.Range(1, ResponseEvents).Select(i => (long)i)), $"stop at {stopAt}");
                Assert.That(StoreFixture.TextOf(before) + StoreFixture.TextOf(after), Is.EqualTo(expectedText), $"stop at {stopAt}");
                Assert.That(after[^1].Kind, Is.EqualTo(ChatStreamingEventKind.Finished));
            }
        }
    }

    [Test]
    public async Task After_zero_on_a_finished_response_replays_it_whole()
    {
        (DefaultChatStreamingStore store, _) = StoreFixture.Create();
        using (store)
        {
            List<ChatStreamingEvent> published = store.PublishResponse("c", "Hello ", "world!");
            List<ChatStreamingEvent> replayed = await store.SubscribeAsync("c").ToListAsync();
            Assert.That(replayed, Is.EqualTo(published));
        }
    }

    [Test]
    public async Task After_zero_before_the_producer_starts_waits_for_the_next_Started()
    {
        (DefaultChatStreamingStore store, _) = StoreFixture.Create();
        using (store)
        {
            await using IAsyncEnumerator<ChatStreamingEvent> early = store.SubscribeAsync("c").GetAsyncEnumerator(TestGuard.Token);
            ValueTask<bool> first = early.MoveNextAsync();
            Assert.That(first.IsCompleted, Is.False);

            store.PublishResponse("c", "hi");

            var received = new List<ChatStreamingEvent>();
            while (await first.Guarded())
            {
                received.Add(early.Current);
                first = early.MoveNextAsync();
            }

            Assert.That(StoreFixture.Sequences(received), Is.EqualTo(new long[] { 1, 2, 3 }));
        }
    }

    [Test]
    public async Task Resuming_after_a_finished_response_continues_with_the_next_one()
    {
        (DefaultChatStreamingStore store, _) = StoreFixture.Create();
        using (store)
        {
            store.PublishResponse("c", "first");
            Task<List<ChatStreamingEvent>> next = store.SubscribeAsync("c", 3).ToListAsync();
            store.PublishResponse("c", "second");

            List<ChatStreamingEvent> received = await next.Guarded();
            Assert.Multiple(() =>
            {
                Assert.That(StoreFixture.Sequences(received), Is.EqualTo(new long[] { 4, 5, 6 }));
                Assert.That(StoreFixture.TextOf(received), Is.EqualTo("second"));
            });
        }
    }

    [Test]
    public async Task A_resume_from_the_middle_of_an_older_response_ends_at_that_responses_end()
    {
        (DefaultChatStreamingStore store, _) = StoreFixture.Create();
        using (store)
        {
            store.PublishResponse("c", "a", "b");
            store.PublishResponse("c", "x");

            List<ChatStreamingEvent> received = await store.SubscribeAsync("c", 2).ToListAsync();
            Assert.That(StoreFixture.Sequences(received), Is.EqualTo(new long[] { 3, 4 }));
        }
    }

    [Test]
    public async Task A_resume_beyond_the_last_published_sequence_is_refused()
    {
        (DefaultChatStreamingStore store, _) = StoreFixture.Create();
        using (store)
        {
            store.PublishResponse("c", "a");
            var ex = await Assert.ThrowsAsync<ArgumentOutOfRangeException>(async () => await store.SubscribeAsync("c", 4).ToListAsync());
            Assert.That(ex!.Message, Does.Contain("last published sequence is 3"));
        }
    }

    [Test]
    public async Task A_resume_on_an_unknown_conversation_is_a_typed_not_retained_error()
    {
        (DefaultChatStreamingStore store, _) = StoreFixture.Create();
        using (store)
        {
            var ex = await Assert.ThrowsAsync<ChatStreamingException>(async () => await store.SubscribeAsync("gone", 5).ToListAsync());
            Assert.That(ex!.Error, Is.EqualTo(ChatStreamingError.SequenceNotRetained));
            Assert.That(store.ConversationCount, Is.Zero);
        }
    }
}
