using System.Reflection;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Metadata;

namespace StreamingCore.AspNetCore;

/// <summary>
/// An <see cref="IResult"/> that streams one conversation as Server-Sent Events, from the request's <c>Last-Event-ID</c>
/// header (else its <c>lastEventId</c> query parameter) or from the conversation's current response, through every later
/// response. Create it with <see cref="ChatStreamingResults.Events(string)"/>; <c>MapChatStreamingEvents</c> uses it too.
/// </summary>
/// <remarks>
/// The status is decided before the first byte: 400 for a malformed resume point or conversation id, 410 when the events
/// after the resume point are not retained (another epoch, ahead of the stream, expired), 429 when the conversation has too
/// many subscribers, each as <c>application/problem+json</c>; else 200 <c>text/event-stream</c>. Services come from
/// <see cref="HttpContext.RequestServices"/>: the <see cref="IChatStreamingStore"/>, its <see cref="TimeProvider"/> and
/// <c>IOptions&lt;ChatStreamingHttpOptions&gt;</c>.
/// </remarks>
public sealed class ChatStreamingEventsResult : IResult, IEndpointMetadataProvider
{
    internal ChatStreamingEventsResult(string conversationId) => ConversationId = conversationId;

    /// <summary>Gets the conversation streamed.</summary>
    public string ConversationId { get; }

    /// <summary>Writes the stream; returns when the client leaves, the app stops or <see cref="ChatStreamingHttpOptions.MaxConnectionDuration"/> passes.</summary>
    /// <param name="httpContext">The request to answer.</param>
    /// <returns>A task that completes when the response is over.</returns>
    public Task ExecuteAsync(HttpContext httpContext)
    {
        ArgumentNullException.ThrowIfNull(httpContext);
        return SseConnection.ExecuteAsync(httpContext, ConversationId);
    }

    /// <summary>Describes the responses to OpenAPI: 200 <c>text/event-stream</c>, and problem details for 400, 410 and 429.</summary>
    /// <param name="method">The endpoint's handler.</param>
    /// <param name="builder">The endpoint being built.</param>
    static void IEndpointMetadataProvider.PopulateMetadata(MethodInfo method, EndpointBuilder builder)
    {
        ArgumentNullException.ThrowIfNull(builder);
        builder.Metadata.Add(new ProducesResponseTypeMetadata(StatusCodes.Status200OK, typeof(string), ["text/event-stream"]));
        foreach (int status in (ReadOnlySpan<int>)[StatusCodes.Status400BadRequest, StatusCodes.Status410Gone, StatusCodes.Status429TooManyRequests])
        {
            builder.Metadata.Add(new ProducesResponseTypeMetadata(status, typeof(Microsoft.AspNetCore.Mvc.ProblemDetails), ["application/problem+json"]));
        }
    }
}
