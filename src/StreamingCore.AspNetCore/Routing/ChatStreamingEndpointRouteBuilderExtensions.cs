using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.AspNetCore.Routing.Patterns;
using StreamingCore.AspNetCore;

namespace Microsoft.AspNetCore.Builder;

/// <summary>Maps the StreamingCore SSE and WebSocket endpoints.</summary>
public static class ChatStreamingEndpointRouteBuilderExtensions
{
    /// <summary>
    /// Maps a GET endpoint that streams a conversation as Server-Sent Events and resumes exactly from <c>Last-Event-ID</c>
    /// (or the <c>lastEventId</c> query parameter); see <see cref="ChatStreamingEventsResult"/> for the statuses.
    /// </summary>
    /// <param name="endpoints">The app or route group.</param>
    /// <param name="pattern">The route; it must contain <c>{conversationId}</c>, e.g. <c>/chat/{conversationId}/events</c>.</param>
    /// <returns>A builder for conventions such as <c>RequireAuthorization()</c>, <c>RequireCors()</c>, <c>RequireRateLimiting()</c>.</returns>
    /// <exception cref="ArgumentException"><paramref name="pattern"/> has no <c>{conversationId}</c> parameter.</exception>
    /// <exception cref="Microsoft.Extensions.Options.OptionsValidationException"><see cref="ChatStreamingHttpOptions"/> are invalid.</exception>
    public static IEndpointConventionBuilder MapChatStreamingEvents(this IEndpointRouteBuilder endpoints, string pattern)
    {
        ValidateMapping(endpoints, pattern);
        return endpoints
            .MapGet(pattern, static (string conversationId) => ChatStreamingResults.Events(conversationId))
            .WithDisplayName($"Chat streaming events {pattern}");
    }

    /// <summary>
    /// Maps a WebSocket endpoint that streams a conversation as JSON messages and resumes exactly from the upgrade request's
    /// <c>lastEventId</c> query parameter; see <see cref="ChatStreamingWebSocketResult"/>. Requires <c>app.UseWebSockets()</c>.
    /// </summary>
    /// <param name="endpoints">The app or route group.</param>
    /// <param name="pattern">The route; it must contain <c>{conversationId}</c>, e.g. <c>/chat/{conversationId}/ws</c>.</param>
    /// <returns>A builder for conventions such as <c>RequireAuthorization()</c>, <c>RequireCors()</c>, <c>RequireRateLimiting()</c>.</returns>
    /// <exception cref="ArgumentException"><paramref name="pattern"/> has no <c>{conversationId}</c> parameter.</exception>
    /// <exception cref="Microsoft.Extensions.Options.OptionsValidationException"><see cref="ChatStreamingHttpOptions"/> are invalid.</exception>
    public static IEndpointConventionBuilder MapChatStreamingWebSocket(this IEndpointRouteBuilder endpoints, string pattern)
    {
        ValidateMapping(endpoints, pattern);

        // Any method: an HTTP/1.1 upgrade is a GET, an HTTP/2 WebSocket a CONNECT; anything else is answered with 400.
        return endpoints
            .Map(pattern, static (string conversationId) => ChatStreamingResults.WebSocket(conversationId))
            .WithDisplayName($"Chat streaming WebSocket {pattern}");
    }

    private static void ValidateMapping(IEndpointRouteBuilder endpoints, string pattern)
    {
        ArgumentNullException.ThrowIfNull(endpoints);
        ArgumentException.ThrowIfNullOrEmpty(pattern);
        if (RoutePatternFactory.Parse(pattern).GetParameter(ChatStreamingHttpConstants.ConversationIdRouteValue) is null)
        {
            throw new ArgumentException($"The route pattern '{pattern}' must contain a {{{ChatStreamingHttpConstants.ConversationIdRouteValue}}} parameter.", nameof(pattern));
        }

        // Fail at startup, not on the first request: a missing store or an invalid option is a configuration error.
        _ = TransportServices.From(endpoints.ServiceProvider);
    }
}
