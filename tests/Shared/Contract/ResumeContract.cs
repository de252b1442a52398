using NUnit.Framework;

namespace StreamingCore.Testing.Contract;

/// <summary>Resume by sequence: exactly the events after it, once each, in order; what cannot be served is a typed error.</summary>
/// <param name="target">The implementation under test.</param>
[TestFixtureSource(typeof(ContractTargets), nameof(ContractTargets.All))]
public class ResumeContract(IStoreTarget target) : StoreContract(target)
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
        await using StoreUnderTest store = await CreateAsync(o => o.SubscriberCapacity = 4 * ResponseEvents);
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
                    store.Producer.Publish(published switch
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
                await foreach (ChatStreamingEvent e in store.Reader.SubscribeAsync(id).WithCancellation(TestGuard.Token))
                {
                    before.Add(e);
                    if (e.Sequence == stopAt)
                    {
                        break;
                    }
                }
            }

            consumerLeft.SetResult();
            List<ChatStreamingEvent> after = await store.Reader.SubscribeAsync(id, stopAt).ReadAllAsync();
            await producer.Guarded();

            long[] sequences = ContractEvents.Sequences(before.Concat(after));
            Assert.That(sequences, Is.EqualTo(Enumerable.Range(1, ResponseEvents).Select(i => (long)i)), $"stop at {stopAt}");
            Assert.That(ContractEvents.TextOf(before) + ContractEvents.TextOf(after), Is.EqualTo(expectedText), $"stop at {stopAt}");
            Assert.That(after[^1].Kind, Is.EqualTo(ChatStreamingEventKind.Finished));
        }
    }

    [Test]
    public async Task After_zero_on_a_finished_response_replays_it_whole()
    {
        await using StoreUnderTest store = await CreateAsync();
        List<ChatStreamingEvent> published = store.Producer.PublishResponse("c", "Hello ", "world!");
        List<ChatStreamingEvent> replayed = await store.Reader.SubscribeAsync("c").ReadAllAsync();
        Assert.That(replayed, Is.EqualTo(published));
    }

    [Test]
    public async Task After_zero_before_the_producer_starts_waits_for_the_next_Started()
    {
        await using StoreUnderTest store = await CreateAsync();
        await using IAsyncEnumerator<ChatStreamingEvent> early = store.Reader.SubscribeAsync("c").GetAsyncEnumerator(TestGuard.Token);
        ValueTask<bool> first = early.MoveNextAsync();
        await store.SubscribedAsync("c", 1).Guarded();
        Assert.That(first.IsCompleted, Is.False, "nothing was published yet");

        List<ChatStreamingEvent> published = store.Producer.PublishResponse("c", "hi");

        var received = new List<ChatStreamingEvent>();
        while (await first.Guarded())
        {
            received.Add(early.Current);
            first = early.MoveNextAsync();
        }

        Assert.That(ContractEvents.Sequences(received), Is.EqualTo(new long[] { 1, 2, 3 }));
        Assert.That(received, Is.EqualTo(published));
    }

    [Test]
    public async Task Resuming_after_a_finished_response_continues_with_the_next_one()
    {
        await using StoreUnderTest store = await CreateAsync();
        store.Producer.PublishResponse("c", "first");
        Task<List<ChatStreamingEvent>> next = store.Reader.SubscribeAsync("c", 3).ReadAllAsync();
        await store.SubscribedAsync("c", 1).Guarded();
        store.Producer.PublishResponse("c", "second");

        List<ChatStreamingEvent> received = await next.Guarded();
        Assert.Multiple(() =>
        {
            Assert.That(ContractEvents.Sequences(received), Is.EqualTo(new long[] { 4, 5, 6 }));
            Assert.That(ContractEvents.TextOf(received), Is.EqualTo("second"));
        });
    }

    [Test]
    public async Task A_resume_from_the_middle_of_an_older_response_ends_at_that_responses_end()
    {
        await using StoreUnderTest store = await CreateAsync();
        store.Producer.PublishResponse("c", "a", "b");
        store.Producer.PublishResponse("c", "x");

        List<ChatStreamingEvent> received = await store.Reader.SubscribeAsync("c", 2).ReadAllAsync();
        Assert.That(ContractEvents.Sequences(received), Is.EqualTo(new long[] { 3, 4 }));
    }

    [Test]
    public async Task A_resume_beyond_the_last_published_sequence_is_refused()
    {
        await using StoreUnderTest store = await CreateAsync();
        store.Producer.PublishResponse("c", "a");
        var ex = await Assert.ThrowsAsync<ArgumentOutOfRangeException>(async () => await store.Reader.SubscribeAsync("c", 4).ReadAllAsync());
        Assert.That(ex!.Message, Does.Contain("last published sequence is 3"));
    }

    [Test]
    public async Task A_resume_on_an_unknown_conversation_is_a_typed_not_retained_error()
    {
        await using StoreUnderTest store = await CreateAsync();
        var ex = await Assert.ThrowsAsync<ChatStreamingException>(async () => await store.Reader.SubscribeAsync("gone", 5).ReadAllAsync());
        Assert.That(ex!.Error, Is.EqualTo(ChatStreamingError.SequenceNotRetained));
        await store.ReleasedAsync("gone").Guarded();
    }
}
