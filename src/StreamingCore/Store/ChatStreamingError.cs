namespace StreamingCore;

/// <summary>The rule a <see cref="ChatStreamingException"/> reports.</summary>
public enum ChatStreamingError
{
    /// <summary>A Delta, Finished or Failed event for a conversation with no active response (never started, or already ended).</summary>
    ResponseNotStarted,

    /// <summary>A Started event while the conversation already has an active response.</summary>
    ResponseAlreadyStarted,

    /// <summary>A delta would make the response longer than <see cref="ChatStreamingOptions.MaxResponseLength"/>.</summary>
    ResponseTooLong,

    /// <summary>A Started event while <see cref="ChatStreamingOptions.MaxActiveResponses"/> responses are active.</summary>
    TooManyActiveResponses,

    /// <summary>A subscription while the conversation has <see cref="ChatStreamingOptions.MaxSubscribersPerConversation"/> live subscribers.</summary>
    TooManySubscribers,

    /// <summary>A resume asked for events that are no longer retained (or a conversation that is not retained at all).</summary>
    SequenceNotRetained,

    /// <summary>A subscriber with <see cref="OverflowStrategy.Reject"/> fell a full queue behind; it can resume after the last event it received.</summary>
    SubscriberOverflow,

    /// <summary>
    /// A subscription waited longer than <see cref="ChatStreamingOptions.WaitingSubscriberTimeout"/> for a response to start;
    /// nothing was missed, subscribe again to keep waiting.
    /// </summary>
    WaitTimedOut,

    /// <summary>
    /// A Delta, Finished or Failed event for a response that another instance of a shared store started and still owns
    /// (the instance that published a response's Started publishes the rest of it).
    /// </summary>
    ResponseOwnedElsewhere,

    /// <summary>
    /// The shared storage behind the store (e.g. Redis) cannot take the event now: a Started while it is unreachable, or an
    /// event while the queue of writes waiting for it is full. Nothing was stamped; retry later.
    /// </summary>
    StoreUnavailable,
}
