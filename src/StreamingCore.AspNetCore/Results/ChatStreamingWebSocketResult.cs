using Microsoft.AspNetCore.Http;

namespace StreamingCore.AspNetCore;

/// <summary>
/// An <see cref="IResult"/> that accepts a WebSocket upgrade and streams one conversation as JSON messages, from the
/// request's <c>lastEventId</c> query parameter or from the conversation's current response, through every later
/// response. Create it with <see cref="ChatStreamingResults.WebSocket(string)"/>; <c>MapChatStreamingWebSocket</c> uses it too.
/// </summary>
/// <remarks>
/// A request that is not a WebSocket upgrade, or names an invalid conversation, is answered with 400 problem details; every
/// later refusal is an <c>error</c> message followed by a close (see docs/protocol.md). Requires <c>app.UseWebSockets()</c>.
/// </remarks>
public sealed class ChatStreamingWebSocketResult : IResult
{
    internal ChatStreamingWebSocketResult(string conversationId) => ConversationId = conversationId;

    /// <summary>Gets the conversation streamed.</summary>
    public string ConversationId { get; }

    /// <summary>Runs the WebSocket; returns when it is closed or the client has left.</summary>
    /// <param name="httpContext">The upgrade request.</param>
    /// <returns>A task that completes when the connection is over.</returns>
    public Task ExecuteAsync(HttpContext httpContext)
    {
        ArgumentNullException.ThrowIfNull(httpContext);
        return WebSocketConnection.ExecuteAsync(httpContext, ConversationId);
    }
}
