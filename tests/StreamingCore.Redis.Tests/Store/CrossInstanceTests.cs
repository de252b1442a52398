using NUnit.Framework;
using StreamingCore.Redis.Tests.Infrastructure;
using StreamingCore.Redis.Tests.Support;
using StreamingCore.Testing.Contract;

namespace StreamingCore.Redis.Tests.Store;

/// <summary>Several instances on one Redis share every conversation, exactly.</summary>
public sealed class CrossInstanceTests
{
    private const string Id = "conv-1";

    private static async Task<Instances> StartAsync(int count, Action<ChatStreamingOptions>? configure = null)
        => await Instances.StartAsync((await SharedRedis.ServerAsync().Guarded()).ConnectionString, count, configure).Guarded();

    [TestCase(2)]
    [TestCase(3)]
    public async Task Every_position_of_a_200_event_response_resumes_exactly_on_another_instance_while_the_producer_keeps_publishing(int count)
    {
        // 200 readers may be live at once on one instance.
        await using Instances instances = await StartAsync(count, o => o.MaxSubscribersPerConversation = 1_000);
        RedisChatStreamingStore producer = instances[0];
        var published = new List<ChatStreamingEvent>();
        var readers = new List<(int From, Task<List<ChatStreamingEvent>> Events)>();

        // 200 events: Started, 198 deltas, Finished. After each, a reader on another instance resumes right after it.
        published.Add(producer.Publish(ChatStreamingEvent.Started(Id)));
        var origin = new ChatStreamPosition(published[0].Epoch!, 0);
        readers.Add((0, instances[1].SubscribeAsync(Id, origin).ReadAllAsync()));
        for (int i = 1; i < 200; i++)
        {
            readers.Add((i, instances[1 + (i % (count - 1))].SubscribeAsync(Id, published[i - 1].Position).ReadAllAsync()));
            published.Add(producer.Publish(i < 199 ? ChatStreamingEvent.Delta(Id, $"token {i} ") : ChatStreamingEvent.Finished(Id)));
        }

        foreach ((int from, Task<List<ChatStreamingEvent>> events) in readers)
        {
            List<ChatStreamingEvent> received = await events.Guarded();
            Assert.That(ContractEvents.Sequences(received), Is.EqualTo(ContractEvents.Sequences(published.Skip(from))), $"resumed after event {from}");
            Assert.That(received.Select(e => e.Position), Is.EqualTo(published.Skip(from).Select(e => e.Position)));
            Assert.That(ContractEvents.TextOf(received), Is.EqualTo(ContractEvents.TextOf(published.Skip(from))));
        }
    }

    [Test]
    public async Task A_reader_that_waits_on_one_instance_receives_the_response_another_instance_starts()
    {
        await using Instances instances = await StartAsync(2);
        Task<List<ChatStreamingEvent>> reader = instances[1].SubscribeAsync(Id).ReadAllAsync();
        await WaitUntilFollowedAsync(instances[1]);

        List<ChatStreamingEvent> published = instances[0].PublishResponse(Id, "Hello", ", ", "world");

        List<ChatStreamingEvent> received = await reader.Guarded();
        Assert.That(received, Is.EqualTo(published));
        Assert.That(ContractEvents.TextOf(received), Is.EqualTo("Hello, world"));
    }

    [Test]
    public async Task Sequences_continue_across_responses_started_on_different_instances()
    {
        await using Instances instances = await StartAsync(3);
        List<ChatStreamingEvent> first = instances[0].PublishResponse(Id, "one");
        await instances[0].FlushAsync().Guarded();
        List<ChatStreamingEvent> second = instances[1].PublishResponse(Id, "two", "three");
        await instances[1].FlushAsync().Guarded();
        List<ChatStreamingEvent> third = instances[2].PublishResponse(Id, "four");

        Assert.That(ContractEvents.Sequences(first), Is.EqualTo(new long[] { 1, 2, 3 }));
        Assert.That(ContractEvents.Sequences(second), Is.EqualTo(new long[] { 4, 5, 6, 7 }));
        Assert.That(ContractEvents.Sequences(third), Is.EqualTo(new long[] { 8, 9, 10 }));
        Assert.That(first.Concat(second).Concat(third).Select(e => e.Epoch).Distinct().Count(), Is.EqualTo(1), "one stream, one epoch");

        // Any instance resumes any of them: the first instance reads the second's response after the first's end.
        List<ChatStreamingEvent> resumed = await instances[0].SubscribeAsync(Id, first[^1].Position).ReadAllAsync();
        Assert.That(resumed, Is.EqualTo(second));
    }

    [Test]
    public async Task Concurrent_starts_on_two_instances_have_exactly_one_winner()
    {
        await using Instances instances = await StartAsync(2);
        for (int round = 0; round < 20; round++)
        {
            string id = $"race-{round}";
            using var barrier = new Barrier(2);
            Task<ChatStreamingError?> Start(int instance) => Task.Run(() =>
            {
                barrier.SignalAndWait();
                try
                {
                    instances[instance].Publish(ChatStreamingEvent.Started(id));
                    return (ChatStreamingError?)null;
                }
                catch (ChatStreamingException ex)
                {
                    return ex.Error;
                }
            });

            ChatStreamingError?[] outcomes = await Task.WhenAll(Start(0), Start(1)).Guarded();

            Assert.That(outcomes.Count(o => o is null), Is.EqualTo(1), $"round {round}: exactly one start wins");
            Assert.That(outcomes.Single(o => o is not null), Is.EqualTo(ChatStreamingError.ResponseAlreadyStarted));
            Assert.That(instances[0].Local.ActiveResponseCount + instances[1].Local.ActiveResponseCount, Is.EqualTo(round + 1));
        }
    }

    [Test]
    public async Task Another_instances_active_response_refuses_this_instances_events_until_it_ends()
    {
        await using Instances instances = await StartAsync(2);
        ChatStreamingEvent started = instances[0].Publish(ChatStreamingEvent.Started(Id));
        instances[0].Publish(ChatStreamingEvent.Delta(Id, "mine"));

        Assert.That(() => instances[1].Publish(ChatStreamingEvent.Delta(Id, "not yours")),
            Throws.TypeOf<ChatStreamingException>().With.Property(nameof(ChatStreamingException.Error)).EqualTo(ChatStreamingError.ResponseOwnedElsewhere));
        Assert.That(() => instances[1].Publish(ChatStreamingEvent.Finished(Id)),
            Throws.TypeOf<ChatStreamingException>().With.Property(nameof(ChatStreamingException.Error)).EqualTo(ChatStreamingError.ResponseOwnedElsewhere));
        Assert.That(() => instances[1].Publish(ChatStreamingEvent.Started(Id)),
            Throws.TypeOf<ChatStreamingException>().With.Property(nameof(ChatStreamingException.Error)).EqualTo(ChatStreamingError.ResponseAlreadyStarted));

        instances[0].Publish(ChatStreamingEvent.Finished(Id));
        await instances[0].FlushAsync().Guarded();
        Assert.That(() => instances[1].Publish(ChatStreamingEvent.Delta(Id, "late")),
            Throws.TypeOf<ChatStreamingException>().With.Property(nameof(ChatStreamingException.Error)).EqualTo(ChatStreamingError.ResponseNotStarted));

        // Nothing the refusals did shows: the reader gets the owner's response exactly.
        List<ChatStreamingEvent> received = await instances[1].SubscribeAsync(Id, new ChatStreamPosition(started.Epoch!, 0)).ReadAllAsync();
        Assert.That(ContractEvents.TextOf(received), Is.EqualTo("mine"));
        Assert.That(received[^1].Kind, Is.EqualTo(ChatStreamingEventKind.Finished));
    }

    [Test]
    public async Task Events_carries_only_the_events_published_on_that_instance()
    {
        await using Instances instances = await StartAsync(2);
        var onB = new List<ChatStreamingEvent>();
        using IDisposable subscription = instances[1].Events.Subscribe(onB.Add);
        Task<List<ChatStreamingEvent>> reader = instances[1].SubscribeAsync(Id).ReadAllAsync();
        await WaitUntilFollowedAsync(instances[1]);

        instances[0].PublishResponse(Id, "from A");
        await reader.Guarded();
        List<ChatStreamingEvent> own = instances[1].PublishResponse("conv-2", "from B");
        await instances[1].FlushAsync().Guarded();

        Assert.That(onB.Select(e => e.ConversationId).Distinct(), Is.EqualTo(new[] { "conv-2" }));
        Assert.That(onB.Select(e => e.Sequence), Is.EqualTo(ContractEvents.Sequences(own)));
    }

    /// <summary>Waits until an instance follows the conversation in Redis (its subscription is registered and its channel subscribed).</summary>
    private static async Task WaitUntilFollowedAsync(RedisChatStreamingStore store)
        => await store.WhenSubscribedAsync(Id).Guarded();
}
