namespace StreamingCore;

/// <summary>
/// Distributes streamed chat responses: producers publish typed events per conversation; consumers
/// observe all of them live or subscribe to one conversation's response, resuming exactly after a reconnect.
/// </summary>
public interface IChatStreamingStore
{
    /// <summary>
    /// Gets every published event of every conversation, live, in publish order per conversation. Each observer
    /// has its own bounded queue, so a slow or throwing observer never affects the producer or other observers.
    /// </summary>
    IObservable<ChatStreamingEvent> Events { get; }

    /// <summary>
    /// Validates an event, stamps its <see cref="ChatStreamingEvent.Sequence"/> and <see cref="ChatStreamingEvent.Timestamp"/>,
    /// retains it for replay and fans it out. Never blocks on a slow subscriber.
    /// </summary>
    /// <param name="streamingEvent">An event from one of the <see cref="ChatStreamingEvent"/> factories.</param>
    /// <returns>The event as published, with its sequence and timestamp.</returns>
    /// <exception cref="ArgumentException">The event was not made by a factory, or was already published.</exception>
    /// <exception cref="ChatStreamingException">A lifecycle rule or limit refuses the event; nothing changed.</exception>
    /// <exception cref="ObjectDisposedException">The store is disposed.</exception>
    ChatStreamingEvent Publish(ChatStreamingEvent streamingEvent);

    /// <summary>
    /// Streams one response of one conversation: the retained events with a sequence above
    /// <paramref name="afterSequence"/>, then live events, ending after the first terminal event after it.
    /// </summary>
    /// <param name="conversationId">The conversation.</param>
    /// <param name="afterSequence">
    /// The last sequence the caller has (the SSE Last-Event-ID), or 0 for the conversation's current response:
    /// the active one, else the most recent retained one, else the next one to start.
    /// </param>
    /// <param name="cancellationToken">Ends the subscription.</param>
    /// <returns>The events, each once, in order.</returns>
    /// <exception cref="ArgumentException"><paramref name="conversationId"/> is invalid.</exception>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="afterSequence"/> is negative or beyond the last published (on enumeration).</exception>
    /// <exception cref="ChatStreamingException">On enumeration: the events asked for are no longer retained, the subscriber limit is reached, or a Reject subscriber overflowed.</exception>
    [System.Diagnostics.CodeAnalysis.SuppressMessage("ApiDesign", "RS0026:Do not add multiple public overloads with optional parameters", Justification = "The contract's two resume points, sequence and position; neither call is ambiguous.")]
    IAsyncEnumerable<ChatStreamingEvent> SubscribeAsync(string conversationId, long afterSequence = 0, CancellationToken cancellationToken = default);

    /// <summary>
    /// Streams one response of one conversation from a <see cref="ChatStreamPosition"/>: the retained events after it,
    /// then live events, ending after the first terminal event after it. A position names its stream, so it is never
    /// applied to another incarnation of the conversation.
    /// </summary>
    /// <param name="conversationId">The conversation.</param>
    /// <param name="after">
    /// The last position the caller has (an event's <see cref="ChatStreamingEvent.Position"/>, e.g. parsed from the SSE
    /// Last-Event-ID); sequence 0 is "before the first event of that epoch".
    /// </param>
    /// <param name="cancellationToken">Ends the subscription.</param>
    /// <returns>The events, each once, in order.</returns>
    /// <exception cref="ArgumentException"><paramref name="conversationId"/> is invalid, or <paramref name="after"/> is <see langword="default"/>.</exception>
    /// <exception cref="ChatStreamingException">
    /// On enumeration: <see cref="ChatStreamingError.SequenceNotRetained"/> when the position is from another epoch, ahead of the
    /// stream or no longer retained (never a replay of another stream's events); or the subscriber limit, or a Reject overflow.
    /// </exception>
    [System.Diagnostics.CodeAnalysis.SuppressMessage("ApiDesign", "RS0026:Do not add multiple public overloads with optional parameters", Justification = "The contract's two resume points, sequence and position; neither call is ambiguous.")]
    IAsyncEnumerable<ChatStreamingEvent> SubscribeAsync(string conversationId, ChatStreamPosition after, CancellationToken cancellationToken = default);
}
