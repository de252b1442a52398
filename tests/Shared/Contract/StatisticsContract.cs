using NUnit.Framework;

namespace StreamingCore.Testing.Contract;

/// <summary>Per-response statistics of the Producer: exact times, counts, rate and outcome on the shared clock.</summary>
/// <param name="target">The implementation under test.</param>
[TestFixtureSource(typeof(ContractTargets), nameof(ContractTargets.All))]
public class StatisticsContract(IStoreTarget target) : StoreContract(target)
{
    [Test]
    public async Task A_scripted_response_reports_exact_times_counts_and_rate()
    {
        await using StoreUnderTest store = await CreateAsync();
        ChatStreamingEvent started = store.Producer.Publish(ChatStreamingEvent.Started("c"));
        store.Time.Advance(TimeSpan.FromMilliseconds(250));
        store.Producer.Publish(ChatStreamingEvent.Delta("c", "Hello "));
        store.Time.Advance(TimeSpan.FromMilliseconds(250));

        ChatResponseStatistics streaming = store.GetStatistics("c")!;
        Assert.That((streaming.Outcome, streaming.Duration), Is.EqualTo((ChatResponseOutcome.Streaming, TimeSpan.FromMilliseconds(500))));

        store.Producer.Publish(ChatStreamingEvent.Delta("c", "world!"));
        store.Time.Advance(TimeSpan.FromMilliseconds(500));
        store.Producer.Publish(ChatStreamingEvent.Finished("c", new TokenUsage(10, 2)));
        store.Time.Advance(TimeSpan.FromSeconds(3));

        ChatResponseStatistics stats = store.GetStatistics("c")!;
        Assert.Multiple(() =>
        {
            Assert.That(stats.ConversationId, Is.EqualTo("c"));
            Assert.That(stats.StartedAt, Is.EqualTo(started.Timestamp));
            Assert.That(stats.StartSequence, Is.EqualTo(1));
            Assert.That(stats.TimeToFirstDelta, Is.EqualTo(TimeSpan.FromMilliseconds(250)));
            Assert.That(stats.DeltaCount, Is.EqualTo(2));
            Assert.That(stats.CharacterCount, Is.EqualTo(12));
            Assert.That(stats.Duration, Is.EqualTo(TimeSpan.FromSeconds(1)), "the end is the terminal event, not now");
            Assert.That(stats.DeltasPerSecond, Is.EqualTo(2.0));
            Assert.That(stats.Usage, Is.EqualTo(new TokenUsage(10, 2)));
            Assert.That(stats.Outcome, Is.EqualTo(ChatResponseOutcome.Finished));
        });
    }

    [Test]
    public async Task Statistics_describe_the_current_response_and_are_null_for_unknown_conversations()
    {
        await using StoreUnderTest store = await CreateAsync();
        store.Producer.PublishResponse("c", "a");
        store.Producer.Publish(ChatStreamingEvent.Started("c"));
        store.Producer.Publish(ChatStreamingEvent.Failed("c", "boom"));

        Assert.Multiple(() =>
        {
            Assert.That(store.GetStatistics("c")!.StartSequence, Is.EqualTo(4));
            Assert.That(store.GetStatistics("c")!.Outcome, Is.EqualTo(ChatResponseOutcome.Failed));
            Assert.That(store.GetStatistics("c")!.TimeToFirstDelta, Is.Null);
            Assert.That(store.GetStatistics("nobody"), Is.Null);
        });
    }
}
