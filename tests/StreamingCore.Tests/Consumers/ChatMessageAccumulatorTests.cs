using NUnit.Framework;
using StreamingCore.Tests.Support;

namespace StreamingCore.Tests.Consumers;

public class ChatMessageAccumulatorTests
{
    [Test]
    public void Folds_deltas_into_the_text_and_stops_streaming_at_Finished()
    {
        (DefaultChatStreamingStore store, _) = StoreFixture.Create();
        using (store)
        {
            var message = new ChatMessageAccumulator();
            List<ChatStreamingEvent> events = store.PublishResponse("c", "Hello ", "world!");

            message.Apply(events[0]);
            Assert.That((message.Text, message.IsStreaming), Is.EqualTo((string.Empty, true)));
            message.Apply(events[1]);
            message.Apply(events[2]);
            Assert.That((message.Text, message.IsStreaming), Is.EqualTo(("Hello world!", true)));
            message.Apply(events[3]);

            Assert.That((message.Text, message.IsStreaming, message.LastSequence), Is.EqualTo(("Hello world!", false, 4L)));
        }
    }

    [Test]
    public void A_new_Started_begins_a_new_message_and_Failed_keeps_the_error()
    {
        (DefaultChatStreamingStore store, _) = StoreFixture.Create();
        using (store)
        {
            var message = new ChatMessageAccumulator();
            foreach (ChatStreamingEvent e in store.PublishResponse("c", "first"))
            {
                message.Apply(e);
            }

            message.Apply(store.Publish(ChatStreamingEvent.Started("c")));
            message.Apply(store.Publish(ChatStreamingEvent.Delta("c", "sec")));
            message.Apply(store.Publish(ChatStreamingEvent.Failed("c", "overloaded")));

            Assert.That((message.Text, message.IsStreaming, message.Error), Is.EqualTo(("sec", false, "overloaded")));
        }
    }

    [Test]
    public void Events_of_another_conversation_are_refused()
    {
        var message = new ChatMessageAccumulator();
        message.Apply(ChatStreamingEvent.Started("a"));
        Assert.That(() => message.Apply(ChatStreamingEvent.Started("b")), Throws.ArgumentException.With.Message.Contains("'a'").And.Message.Contains("'b'"));
    }
}
