namespace StreamingCore;

/// <summary>A live subscription to one conversation: its own bounded queue, filled under the conversation's lock.</summary>
internal sealed class Subscription(Conversation conversation, ResponseBufferOptions<ChatStreamingEvent> bufferOptions)
{
    public Conversation Conversation { get; } = conversation;

    public ResponseBuffer<ChatStreamingEvent> Buffer { get; } = new(bufferOptions);

    /// <summary>Queues an event; returns true when the subscription is over (its response ended, or its queue refused the event).</summary>
    public bool Deliver(in ChatStreamingEvent streamingEvent)
    {
        if (!Buffer.Writer.TryWrite(streamingEvent))
        {
            Buffer.Writer.TryComplete(new ChatStreamingException(
                ChatStreamingError.SubscriberOverflow,
                Conversation.Id,
                $"The subscriber to conversation '{Conversation.Id}' fell {Buffer.Capacity} events behind (SubscriberCapacity) and its overflow strategy is Reject. Resume after the last event received."));
            return true;
        }

        if (streamingEvent.IsTerminal)
        {
            Buffer.Writer.TryComplete();
            return true;
        }

        return false;
    }
}
