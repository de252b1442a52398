using NUnit.Framework;
using StreamingCore.Tests.Support;

namespace StreamingCore.Tests.Store;

/// <summary>
/// The epoch format of <see cref="DefaultChatStreamingStore"/>. What every store's positions must do (one epoch per
/// incarnation, exact resume within it, never across) is in the shared contract suite (PositionContract).
/// </summary>
public class PositionTests
{
    [Test]
    public void The_default_store_s_epoch_is_ten_lowercase_base36_characters()
    {
        (DefaultChatStreamingStore store, _) = StoreFixture.Create();
        using (store)
        {
            ChatStreamingEvent started = store.Publish(ChatStreamingEvent.Started("c"));
            Assert.That(started.Epoch, Does.Match("^[0-9a-z]{10}$"));
        }
    }
}
