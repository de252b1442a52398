using System.Text.Json;
using Microsoft.AspNetCore.Http.Features;

namespace StreamingCore.WebSample.AISdk;

/// <summary>
/// The routes a React <c>useChat</c> front end (the <c>ai</c> package's <c>DefaultChatTransport</c>) calls with its defaults:
/// <c>POST /api/chat</c> answers a message as a UI message stream, <c>GET /api/chat/{id}/stream</c> resumes the active answer.
/// </summary>
public static class ChatEndpoints
{
    /// <summary>Where <c>DefaultChatTransport</c> posts messages (its <c>api</c>).</summary>
    public const string ChatRoute = "/api/chat";

    /// <summary>Where <c>useChat({ resume: true })</c> reconnects: <c>{api}/{id}/stream</c>.</summary>
    public const string StreamRoute = "/api/chat/{id}/stream";

    /// <summary>The only trigger answered; <c>regenerate-message</c> is refused with 400.</summary>
    public const string SubmitMessage = "submit-message";

    /// <summary>Maps <see cref="ChatRoute"/> and <see cref="StreamRoute"/>.</summary>
    /// <param name="endpoints">The app.</param>
    public static void MapAISdkChat(this IEndpointRouteBuilder endpoints)
    {
        endpoints.MapPost(ChatRoute, PostChatAsync);
        endpoints.MapGet(StreamRoute, ResumeStream);
    }

    /// <summary>Starts the answer to the last (user) message and streams it; 400 for a body it cannot answer, 409 while the chat is answering.</summary>
    private static async Task<IResult> PostChatAsync(HttpRequest request, AnswerService answers, CancellationToken cancellationToken)
    {
        ChatRequest? chat;
        try
        {
            chat = await JsonSerializer.DeserializeAsync(request.Body, UIMessageJsonContext.Default.ChatRequest, cancellationToken);
        }
        catch (JsonException ex)
        {
            return BadRequest($"The body is not a chat request: {ex.Message}");
        }

        if (chat is null)
        {
            return BadRequest("The body is not a chat request: it is null.");
        }

        if (!string.Equals(chat.Trigger, SubmitMessage, StringComparison.Ordinal))
        {
            return BadRequest($"The trigger '{chat.Trigger}' is not supported: this endpoint answers '{SubmitMessage}' only.");
        }

        if (string.IsNullOrEmpty(chat.Id))
        {
            return BadRequest("The chat request has no id.");
        }

        UIMessage? last = chat.Messages is { Count: > 0 } messages ? messages[^1] : null;
        if (last is null || !string.Equals(last.Role, "user", StringComparison.Ordinal))
        {
            return BadRequest("The last message of a chat request must be the user's.");
        }

        string text = string.Concat(last.Parts?.Where(p => p?.Type == "text").Select(p => p!.Text) ?? []);
        if (string.IsNullOrWhiteSpace(text))
        {
            return BadRequest("The user's message has no text.");
        }

        try
        {
            Answer answer = await answers.StartAsync(chat.Id, text, chat.Persona, cancellationToken);
            return new UIMessageStreamResult(answer);
        }
        catch (ChatStreamingException ex) when (ex.Error == ChatStreamingError.ResponseAlreadyStarted)
        {
            return TypedResults.Problem(detail: "This chat is still answering; wait for the answer to finish.", statusCode: StatusCodes.Status409Conflict);
        }
        catch (ChatStreamingException ex)
        {
            return TypedResults.Problem(detail: ex.Message, statusCode: StatusCodes.Status503ServiceUnavailable);
        }
        catch (ArgumentException ex)
        {
            return BadRequest(ex.Message);
        }
    }

    /// <summary>
    /// The chat's active answer from its start, live to <c>[DONE]</c>; 204 when it has none. It never waits for a next answer;
    /// an answer whose <c>Started</c> is published but not yet located is active, so it is waited for, not answered 204.
    /// </summary>
    private static async Task<IResult> ResumeStream(string id, HttpContext httpContext, AnswerService answers, CancellationToken cancellationToken)
        => await answers.ActiveAsync(ChatIdOf(id, httpContext), cancellationToken) is { } answer ? new UIMessageStreamResult(answer) : TypedResults.NoContent();

    /// <summary>
    /// The chat id as the client sent it. The transport encodes it with <c>encodeURIComponent</c>, and the server decodes a
    /// path except <c>%2F</c>, so the route value of <c>team/42</c> is <c>team%2F42</c> and cannot be told from an id that
    /// really is <c>team%2F42</c> (sent as <c>team%252F42</c>): the id is decoded once from the request's raw target.
    /// </summary>
    private static string ChatIdOf(string routeValue, HttpContext httpContext)
    {
        if (!routeValue.Contains('%', StringComparison.Ordinal) || httpContext.Features.Get<IHttpRequestFeature>()?.RawTarget is not { } rawTarget)
        {
            return routeValue;
        }

        // {pathBase}/api/chat/{id}/stream[?query]: the id is the segment before the last one, still encoded.
        ReadOnlySpan<char> path = rawTarget.AsSpan();
        int query = path.IndexOfAny('?', '#');
        path = query >= 0 ? path[..query] : path;
        path = path[..path.LastIndexOf('/')];
        return Uri.UnescapeDataString(path[(path.LastIndexOf('/') + 1)..].ToString());
    }

    private static IResult BadRequest(string detail) => TypedResults.Problem(detail: detail, statusCode: StatusCodes.Status400BadRequest);
}
