using Microsoft.AspNetCore.Http;

namespace StreamingCore.AspNetCore;

/// <summary>
/// Results for endpoints that stream a conversation, in the style of <see cref="TypedResults"/>: for an app that writes its
/// own endpoint (an authorization check, a per-user conversation lookup) and then hands the connection over.
/// </summary>
/// <example>
/// <code>
/// app.MapGet("/me/chat/events", (ClaimsPrincipal user, IConversations conversations)
///     => ChatStreamingResults.Events(conversations.CurrentFor(user)));
/// </code>
/// </example>
public static class ChatStreamingResults
{
    /// <summary>
    /// Streams <paramref name="conversationId"/> as Server-Sent Events, resuming from the request's <c>Last-Event-ID</c>
    /// (see <see cref="ChatStreamingEventsResult"/>). An invalid id is answered with 400, not thrown, as it usually comes from the request.
    /// </summary>
    /// <param name="conversationId">The conversation.</param>
    /// <returns>The result to return from the endpoint.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="conversationId"/> is null.</exception>
    public static ChatStreamingEventsResult Events(string conversationId)
    {
        ArgumentNullException.ThrowIfNull(conversationId);
        return new ChatStreamingEventsResult(conversationId);
    }

    /// <summary>
    /// Accepts the request's WebSocket upgrade and streams <paramref name="conversationId"/> as JSON messages, resuming from
    /// its <c>lastEventId</c> query parameter (see <see cref="ChatStreamingWebSocketResult"/>).
    /// </summary>
    /// <param name="conversationId">The conversation.</param>
    /// <returns>The result to return from the endpoint.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="conversationId"/> is null.</exception>
    public static ChatStreamingWebSocketResult WebSocket(string conversationId)
    {
        ArgumentNullException.ThrowIfNull(conversationId);
        return new ChatStreamingWebSocketResult(conversationId);
    }
}
