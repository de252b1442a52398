using NUnit.Framework;

namespace StreamingCore.Testing.Contract;

/// <summary>
/// An ended response stays replayable for the retention period and within the retention limits, then it is
/// released; what was released is a typed error, never a hole. Time comes from the shared FakeTimeProvider.
/// </summary>
/// <param name="target">The implementation under test.</param>
[TestFixtureSource(typeof(ContractTargets), nameof(ContractTargets.All))]
public class RetentionContract(IStoreTarget target) : StoreContract(target)
{
    private static readonly TimeSpan Retention = TimeSpan.FromMinutes(5);
    private static readonly TimeSpan Tick = TimeSpan.FromTicks(1);

    [Test]
    public async Task A_finished_response_is_replayable_for_the_retention_period_and_then_released()
    {
        await using StoreUnderTest store = await CreateAsync(o => o.RetentionPeriod = Retention);
        store.Producer.PublishResponse("c", "Hello ", "world!");
        store.Time.Advance(Retention - Tick);
        Assert.That(ContractEvents.TextOf(await store.Reader.SubscribeAsync("c", 1).ReadAllAsync()), Is.EqualTo("Hello world!"));

        store.Time.Advance(Tick);

        await store.ReleasedAsync("c").Guarded();
        var ex = await Assert.ThrowsAsync<ChatStreamingException>(async () => await store.Reader.SubscribeAsync("c", 1).ReadAllAsync());
        Assert.That(ex!.Error, Is.EqualTo(ChatStreamingError.SequenceNotRetained));
        Assert.That(store.GetStatistics("c"), Is.Null);
    }

    [Test]
    public async Task A_resume_older_than_the_oldest_retained_response_is_a_typed_error_never_a_hole()
    {
        await using StoreUnderTest store = await CreateAsync(o => o.RetentionPeriod = Retention);
        store.Producer.PublishResponse("c", "old");             // 1..3
        store.Time.Advance(Retention / 2);
        store.Producer.PublishResponse("c", "new");             // 4..6
        store.Time.Advance(Retention / 2);                      // the first response expires
        await store.NotRetainedAsync("c", 3).Guarded();

        var ex = await Assert.ThrowsAsync<ChatStreamingException>(async () => await store.Reader.SubscribeAsync("c", 1).ReadAllAsync());
        Assert.That(ex!.Error, Is.EqualTo(ChatStreamingError.SequenceNotRetained));
        Assert.That(ex.Message, Does.Contain("oldest retained sequence is 4"));
        Assert.That(ContractEvents.Sequences(await store.Reader.SubscribeAsync("c", 3).ReadAllAsync()), Is.EqualTo(new long[] { 4, 5, 6 }));
    }

    [Test]
    public async Task Sequence_numbering_continues_while_retained_and_restarts_after_release()
    {
        await using StoreUnderTest store = await CreateAsync(o => o.RetentionPeriod = Retention);
        store.Producer.PublishResponse("c", "a");
        Assert.That(store.Producer.Publish(ChatStreamingEvent.Started("c")).Sequence, Is.EqualTo(4));
        store.Producer.Publish(ChatStreamingEvent.Finished("c"));

        store.Time.Advance(Retention);
        await store.ReleasedAsync("c").Guarded();

        Assert.That(store.Producer.Publish(ChatStreamingEvent.Started("c")).Sequence, Is.EqualTo(store.NumberingOutlivesRetention ? 6 : 1));
    }

    [Test]
    public async Task A_zero_retention_releases_a_response_when_it_ends()
    {
        await using StoreUnderTest store = await CreateAsync(o => o.RetentionPeriod = TimeSpan.Zero);
        store.Producer.PublishResponse("c", "a");
        await store.ReleasedAsync("c").Guarded();
    }

    [Test]
    public async Task A_conversation_retains_a_bounded_number_of_responses_oldest_evicted_first()
    {
        await using StoreUnderTest store = await CreateAsync();
        int limit = new ChatStreamingOptions().MaxRetainedResponsesPerConversation;
        var firsts = new List<ChatStreamingEvent>();
        for (int i = 0; i < limit + 10; i++)
        {
            firsts.Add(store.Producer.PublishResponse("c", $"answer {i}")[0]);
        }

        Assert.That(store.GetResponseStatistics("c"), Has.Count.EqualTo(limit));
        await store.NotRetainedAsync("c", firsts[10].Sequence - 1).Guarded();
        var ex = await Assert.ThrowsAsync<ChatStreamingException>(async () => await store.Reader.SubscribeAsync("c", firsts[9].Position).ReadAllAsync());
        Assert.That(ex!.Error, Is.EqualTo(ChatStreamingError.SequenceNotRetained));
        List<ChatStreamingEvent> oldestKept = await store.Reader.SubscribeAsync("c", new ChatStreamPosition(firsts[10].Epoch!, firsts[10].Sequence - 1)).ReadAllAsync();
        Assert.That(ContractEvents.TextOf(oldestKept), Is.EqualTo("answer 10"));
    }
}
