using NUnit.Framework;

namespace StreamingCore.Testing.Contract;

/// <summary>
/// <see cref="IChatStreamingStore.Events"/> of the Producer: every event published on that instance, in publish order per
/// conversation; a throwing observer breaks nothing. (Each instance's Events carries what was published on it, so the
/// Producer's is the one these rules are about.)
/// </summary>
/// <param name="target">The implementation under test.</param>
[TestFixtureSource(typeof(ContractTargets), nameof(ContractTargets.All))]
public class EventsContract(IStoreTarget target) : StoreContract(target)
{
    private sealed class Thrower : IObserver<ChatStreamingEvent>
    {
        public int Calls { get; private set; }

        public TaskCompletionSource Called { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public void OnNext(ChatStreamingEvent value)
        {
            Calls++;
            Called.TrySetResult();
            throw new InvalidOperationException("observer bug");
        }

        public void OnError(Exception error)
        {
        }

        public void OnCompleted()
        {
        }
    }

    [Test]
    public async Task A_throwing_observer_breaks_neither_Publish_nor_other_observers()
    {
        await using StoreUnderTest store = await CreateAsync();
        var thrower = new Thrower();
        var recorder = new EventRecorder(terminalsExpected: 2);
        using IDisposable bad = store.Producer.Events.Subscribe(thrower);
        using IDisposable good = store.Producer.Events.Subscribe(recorder);

        List<ChatStreamingEvent> a = store.Producer.PublishResponse("a", "1", "2");
        List<ChatStreamingEvent> b = store.Producer.PublishResponse("b", "3");
        await recorder.Done.Task.Guarded();

        // The thrower's pump runs on its own; its one call may come after the recorder has seen everything.
        await thrower.Called.Task.Guarded();
        Assert.Multiple(() =>
        {
            Assert.That(recorder.Events.Where(e => e.ConversationId == "a"), Is.EqualTo(a));
            Assert.That(recorder.Events.Where(e => e.ConversationId == "b"), Is.EqualTo(b));
            Assert.That(thrower.Calls, Is.EqualTo(1), "an observer that threw receives nothing more");
        });
    }

    [Test]
    public async Task Events_keep_publish_order_per_conversation_across_concurrent_producers()
    {
        await using StoreUnderTest store = await CreateAsync(o => o.SubscriberCapacity = 100_000);
        const int Conversations = 8;
        const int Deltas = 500;
        var recorder = new EventRecorder(terminalsExpected: Conversations);
        using IDisposable subscription = store.Producer.Events.Subscribe(recorder);

        await Task.WhenAll(Enumerable.Range(0, Conversations).Select(c => Task.Run(() =>
            store.Producer.PublishResponse($"c{c}", Enumerable.Range(0, Deltas).Select(i => $"{i},").ToArray())))).Guarded();
        await recorder.Done.Task.Guarded();

        string expected = string.Concat(Enumerable.Range(0, Deltas).Select(i => $"{i},"));
        for (int c = 0; c < Conversations; c++)
        {
            List<ChatStreamingEvent> events = recorder.Events.Where(e => e.ConversationId == $"c{c}").ToList();
            Assert.That(ContractEvents.Sequences(events), Is.EqualTo(Enumerable.Range(1, Deltas + 2).Select(i => (long)i)));
            Assert.That(ContractEvents.TextOf(events), Is.EqualTo(expected));
        }
    }
}
