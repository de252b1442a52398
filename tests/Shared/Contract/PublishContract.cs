using NUnit.Framework;

namespace StreamingCore.Testing.Contract;

/// <summary>Publish stamps sequences, times and epochs, keeps the payload, and refuses events it cannot accept.</summary>
/// <param name="target">The implementation under test.</param>
[TestFixtureSource(typeof(ContractTargets), nameof(ContractTargets.All))]
public class PublishContract(IStoreTarget target) : StoreContract(target)
{
    [Test]
    public async Task Sequences_start_at_one_and_continue_across_responses_of_a_conversation()
    {
        await using StoreUnderTest store = await CreateAsync();
        List<ChatStreamingEvent> first = store.Producer.PublishResponse("c", "a", "b");
        List<ChatStreamingEvent> second = store.Producer.PublishResponse("c", "x");
        List<ChatStreamingEvent> other = store.Producer.PublishResponse("d", "y");

        Assert.Multiple(() =>
        {
            Assert.That(ContractEvents.Sequences(first), Is.EqualTo(new long[] { 1, 2, 3, 4 }));
            Assert.That(ContractEvents.Sequences(second), Is.EqualTo(new long[] { 5, 6, 7 }));
            Assert.That(ContractEvents.Sequences(other), Is.EqualTo(new long[] { 1, 2, 3 }));
        });

        // The Reader numbers them the same way: the second response is 5..7 there too.
        Assert.That(await store.Reader.SubscribeAsync("c", 4).ReadAllAsync(), Is.EqualTo(second));
    }

    [Test]
    public async Task Publish_stamps_the_time_of_the_stores_clock_and_keeps_the_payload()
    {
        await using StoreUnderTest store = await CreateAsync();
        DateTimeOffset now = store.Time.GetUtcNow();
        ChatStreamingEvent started = store.Producer.Publish(ChatStreamingEvent.Started("c"));
        store.Time.Advance(TimeSpan.FromMilliseconds(250));

        ChatStreamingEvent delta = store.Producer.Publish(ChatStreamingEvent.Delta("c", "Hi"));
        ChatStreamingEvent finished = store.Producer.Publish(ChatStreamingEvent.Finished("c", new TokenUsage(3, 1)));

        Assert.Multiple(() =>
        {
            Assert.That(started.Timestamp, Is.EqualTo(now));
            Assert.That(delta.Timestamp, Is.EqualTo(now.AddMilliseconds(250)));
            Assert.That((delta.Text, delta.Sequence), Is.EqualTo(("Hi", 2L)));
            Assert.That(finished.Usage, Is.EqualTo(new TokenUsage(3, 1)));
        });

        // Times and payloads reach the Reader unchanged.
        Assert.That(await store.Reader.SubscribeAsync("c").ReadAllAsync(), Is.EqualTo(new[] { started, delta, finished }));
    }

    [Test]
    public async Task An_event_not_made_by_a_factory_or_already_published_is_refused()
    {
        await using StoreUnderTest store = await CreateAsync();
        ChatStreamingEvent started = store.Producer.Publish(ChatStreamingEvent.Started("c"));

        Assert.Multiple(() =>
        {
            Assert.That(() => store.Producer.Publish(default), Throws.ArgumentException.With.Property("ParamName").EqualTo("streamingEvent").And.Message.Contains("factory"));
            Assert.That(() => store.Producer.Publish(started), Throws.ArgumentException.With.Message.Contains("already published"));
        });
    }
}
