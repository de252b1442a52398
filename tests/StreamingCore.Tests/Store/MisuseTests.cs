using NUnit.Framework;
using StreamingCore.Tests.Support;

namespace StreamingCore.Tests.Store;

/// <summary>
/// A refusal leaves no state behind in <see cref="DefaultChatStreamingStore"/>. Each misuse's exception, and that it
/// leaves a neighbouring conversation untouched, is in the shared contract suite (LifecycleContract).
/// </summary>
public class MisuseTests
{
    [Test]
    public void A_refused_start_leaves_no_conversation_behind()
    {
        (DefaultChatStreamingStore store, _) = StoreFixture.Create(o => o.MaxActiveResponses = 1);
        using (store)
        {
            store.Publish(ChatStreamingEvent.Started("a"));
            Assert.Throws<ChatStreamingException>(() => store.Publish(ChatStreamingEvent.Started("b")));

            Assert.That(store.ConversationCount, Is.EqualTo(1));
            Assert.That(store.ActiveResponseCount, Is.EqualTo(1));
        }
    }
}
