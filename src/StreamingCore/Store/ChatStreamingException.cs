namespace StreamingCore;

/// <summary>
/// A chat streaming rule was broken: a lifecycle error, a limit, a resume beyond retention or a subscriber
/// overflow. <see cref="Error"/> says which; the store is unchanged by the refused operation.
/// </summary>
public sealed class ChatStreamingException : InvalidOperationException
{
    /// <summary>Initializes a new instance.</summary>
    /// <param name="error">The rule that was broken.</param>
    /// <param name="conversationId">The conversation concerned, if any.</param>
    /// <param name="message">A message that names the conversation and the rule.</param>
    /// <param name="innerException">The cause, if any.</param>
    public ChatStreamingException(ChatStreamingError error, string? conversationId, string message, Exception? innerException = null)
        : base(message, innerException)
    {
        Error = error;
        ConversationId = conversationId;
    }

    /// <summary>Gets the rule that was broken.</summary>
    public ChatStreamingError Error { get; }

    /// <summary>Gets the conversation concerned, if any.</summary>
    public string? ConversationId { get; }
}
