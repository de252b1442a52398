namespace StreamingCore;

/// <summary>
/// Where a <see cref="DefaultChatStreamingStore"/> records the responses it produces beyond its own memory, so that other
/// store instances can read them (see <see cref="DefaultChatStreamingStore.Replicate"/>): the seam a scale-out package
/// such as <c>StreamingCore.Redis</c> plugs into. Applications do not implement it to use the store.
/// </summary>
/// <remarks>
/// The store calls both members under the conversation's lock, so calls for one conversation never overlap and come in
/// sequence order; calls for different conversations may run concurrently.
/// </remarks>
public interface IChatStreamingJournal
{
    /// <summary>
    /// Claims a new response of a conversation for this store, after the store's own rules accepted its Started event
    /// and before the event is stamped.
    /// </summary>
    /// <param name="conversationId">The conversation.</param>
    /// <returns>
    /// Where the Started event goes: the conversation's epoch and the next sequence of its shared stream. The store continues
    /// the conversation at that position (a new epoch starts a new stream and releases what it retained of the old one).
    /// </returns>
    /// <exception cref="ChatStreamingException">
    /// The journal refuses the response (e.g. <see cref="ChatStreamingError.ResponseAlreadyStarted"/> when another instance's
    /// response is active, <see cref="ChatStreamingError.StoreUnavailable"/> when the shared storage cannot be reached);
    /// nothing is stamped.
    /// </exception>
    ChatStreamPosition BeginResponse(string conversationId);

    /// <summary>
    /// Records an event of a response that <see cref="BeginResponse"/> claimed, once the store stamped it (its Started
    /// included), in sequence order. Must not block and must not throw: the event is already delivered to this store's
    /// subscribers.
    /// </summary>
    /// <param name="published">The event as published.</param>
    void Append(in ChatStreamingEvent published);
}
