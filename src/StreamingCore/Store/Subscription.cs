using System.Diagnostics;

namespace StreamingCore;

/// <summary>
/// A live subscription to one conversation: its own bounded queue, filled under the conversation's lock. Abstract because
/// the one kind, <see cref="SubscriptionEnumerator"/>, is also the enumerator that reads it: one object per idle subscriber
/// instead of two.
/// </summary>
internal abstract class Subscription
{
    /// <summary>The conversation; set by <see cref="Attach"/>, before the subscription is registered anywhere.</summary>
    public Conversation Conversation { get; private set; } = null!;

    /// <summary>The queue; set by <see cref="Attach"/> (a subscription that only replays never has one).</summary>
    public ResponseBuffer<ChatStreamingEvent> Buffer { get; private set; } = null!;

    /// <summary>True while it waits for a response to start (WaitingSubscriberTimeout applies); under the conversation's lock.</summary>
    public bool IsWaiting { get; set; }

    /// <summary>True while it counts against MaxWaitingSubscribers: it waits on a conversation that had nothing else when it came.</summary>
    public bool CountsAsWaiting { get; set; }

    /// <summary>True while it is in the store's <see cref="WaitingSubscriptions"/> (which expires waits); under that list's lock.</summary>
    public bool IsListedAsWaiting { get; set; }

    /// <summary>When its wait began (TimeProvider timestamp); under the waiting list's lock.</summary>
    public long WaitingSince { get; set; }

    /// <summary>The subscriptions that began waiting just before and just after it; under the waiting list's lock.</summary>
    public Subscription? WaitingPrevious { get; set; }

    /// <inheritdoc cref="WaitingPrevious"/>
    public Subscription? WaitingNext { get; set; }

    /// <summary>Makes it a live subscription of a conversation, once, under that conversation's lock, as it is registered.</summary>
    public void Attach(Conversation conversation, ResponseBuffer<ChatStreamingEvent>.Settings bufferSettings)
    {
        Debug.Assert(Conversation is null, "A subscription is attached once.");
        Conversation = conversation;
        Buffer = new ResponseBuffer<ChatStreamingEvent>(bufferSettings);
    }

    /// <summary>Queues an event; returns true when the subscription is over (its response ended, or its queue refused the event).</summary>
    public bool Deliver(in ChatStreamingEvent streamingEvent)
    {
        if (!Buffer.TryWriteCore(streamingEvent))
        {
            Buffer.Writer.TryComplete(new ChatStreamingException(
                ChatStreamingError.SubscriberOverflow,
                Conversation.Id,
                Buffer.Strategy == OverflowStrategy.Reject
                    ? $"The subscriber to conversation '{Conversation.Id}' fell {Buffer.Capacity} events behind (SubscriberCapacity) and its overflow strategy is Reject. Resume after the last event received."
                    : $"The subscriber to conversation '{Conversation.Id}' stopped reading: its queue holds {Buffer.MaxCount} events that its overflow strategy ({Buffer.Strategy}) can neither merge nor drop (twice SubscriberCapacity). Resume after the last event received."));
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
