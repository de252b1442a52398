namespace StreamingCore.WebSample;

/// <summary>The 202 answer to a message.</summary>
/// <param name="ConversationId">The conversation.</param>
/// <param name="Started">The position of the answer's <c>Started</c> event.</param>
/// <param name="Events">Where to read the answer (Server-Sent Events).</param>
public sealed record MessageAccepted(string ConversationId, string Started, string Events);
