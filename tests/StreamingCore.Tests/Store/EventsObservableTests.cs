using NUnit.Framework;
using StreamingCore.Tests.Support;

namespace StreamingCore.Tests.Store;

public class EventsObservableTests
{
    /// <summary>Collects events until a given number of terminal events arrived.</summary>
    private sealed class Recorder(int terminalsExpected) : IObserver<ChatStreamingEvent>
    {
        private int _terminals;

        public List<ChatStreamingEvent> Events { get; } = [];

        public TaskCompletionSource Done { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public void OnNext(ChatStreamingEvent value)
        {
            Events.Add(value);
            if (value.IsTerminal && ++_terminals == terminalsExpected)
            {
                Done.TrySetResult();
            }
        }

        public void OnError(Exception error) => Done.TrySetException(error);

        public void OnCompleted() => Done.TrySetResult();
    }

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
        (DefaultChatStreamingStore store, _) = StoreFixture.Create();
        using (store)
        {
            var thrower = new Thrower();
            var recorder = new Recorder(terminalsExpected: 2);
            using IDisposable bad = store.Events.Subscribe(thrower);
            using IDisposable good = store.Events.Subscribe(recorder);

            List<ChatStreamingEvent> a = store.PublishResponse("a", "1", "2");
            List<ChatStreamingEvent> b = store.PublishResponse("b", "3");
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
    }

    [Test]
    public async Task Events_keep_publish_order_per_conversation_across_concurrent_producers()
    {
        (DefaultChatStreamingStore store, _) = StoreFixture.Create(o => o.SubscriberCapacity = 100_000);
        using (store)
        {
            const int Conversations = 8;
            const int Deltas = 500;
            var recorder = new Recorder(terminalsExpected: Conversations);
            using IDisposable subscription = store.Events.Subscribe(recorder);

            await Task.WhenAll(Enumerable.Range(0, Conversations).Select(c => Task.Run(() =>
                store.PublishResponse($"c{c}", Enumerable.Range(0, Deltas).Select(i => $"{i},").ToArray())))).Guarded();
            await recorder.Done.Task.Guarded();

            string expected = string.Concat(Enumerable.Range(0, Deltas).Select(i => $"{i},"));
            for (int c = 0; c < Conversations; c++)
            {
                List<ChatStreamingEvent> events = recorder.Events.Where(e => e.ConversationId == $"c{c}").ToList();
                Assert.That(StoreFixture.Sequences(events), Is.EqualTo(Enumerable.Range(1, Deltas + 2).Select(i => (long)i)));
                Assert.That(StoreFixture.TextOf(events), Is.EqualTo(expected));
            }
        }
    }

    [Test]
    public async Task Disposing_the_store_ends_observers_with_ObjectDisposed_and_an_unsubscribed_one_gets_nothing_more()
    {
        (DefaultChatStreamingStore store, _) = StoreFixture.Create();
        var kept = new Recorder(terminalsExpected: int.MaxValue);
        var left = new Recorder(terminalsExpected: 1);
        using IDisposable keep = store.Events.Subscribe(kept);
        IDisposable leave = store.Events.Subscribe(left);

        store.PublishResponse("a", "x");
        await left.Done.Task.Guarded();
        leave.Dispose();
        store.PublishResponse("b", "y");
        store.Dispose();

        // As a subscription that is still open does: the store is gone, after everything it had queued.
        Assert.That(async () => await kept.Done.Task.Guarded(), Throws.InstanceOf<ObjectDisposedException>());
        Assert.Multiple(() =>
        {
            Assert.That(kept.Events, Has.Count.EqualTo(6));
            Assert.That(left.Events.Select(e => e.ConversationId), Is.All.EqualTo("a"));
        });
    }
}
