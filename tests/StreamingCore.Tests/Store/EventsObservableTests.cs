using NUnit.Framework;
using StreamingCore.Tests.Support;

namespace StreamingCore.Tests.Store;

/// <summary>
/// How <see cref="DefaultChatStreamingStore.Dispose"/> ends its Events observers. Order and isolation of Events as every
/// store keeps them are in the shared contract suite (EventsContract).
/// </summary>
public class EventsObservableTests
{
    [Test]
    public async Task Disposing_the_store_ends_observers_with_ObjectDisposed_and_an_unsubscribed_one_gets_nothing_more()
    {
        (DefaultChatStreamingStore store, _) = StoreFixture.Create();
        var kept = new EventRecorder(terminalsExpected: int.MaxValue);
        var left = new EventRecorder(terminalsExpected: 1);
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
