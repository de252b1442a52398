using NUnit.Framework;
using StreamingCore.Tests.Support;

namespace StreamingCore.Tests.Store;

/// <summary>
/// What Publish does on a disposed <see cref="DefaultChatStreamingStore"/>. The rules every store keeps are in the
/// shared contract suite (tests/Shared/Contract, PublishContract).
/// </summary>
public class PublishTests
{
    [Test]
    public void Publish_after_dispose_throws_ObjectDisposed()
    {
        (DefaultChatStreamingStore store, _) = StoreFixture.Create();
        store.Dispose();
        Assert.That(() => store.Publish(ChatStreamingEvent.Started("c")), Throws.InstanceOf<ObjectDisposedException>());
        Assert.That(() => store.SubscribeAsync("c"), Throws.InstanceOf<ObjectDisposedException>());
    }
}
