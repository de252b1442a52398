using System.Text;
using System.Text.Json;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.WebUtilities;

namespace StreamingCore.Client.Tests.Support;

/// <summary>One request to a <see cref="ScriptedServer"/>: the test reads it and writes exactly the answer it wants.</summary>
internal sealed class ScriptedExchange(HttpContext context)
{
    // Completes when the test ends the response (normally or by a reset); the request handler returns then.
    private readonly TaskCompletionSource _done = new(TaskCreationOptions.RunContinuationsAsynchronously);

    /// <summary>Completes when the response has ended.</summary>
    public Task Completion => _done.Task;

    /// <summary>Gets the <c>Last-Event-ID</c> the client sent, or <see langword="null"/>.</summary>
    public string? LastEventId => context.Request.Headers.TryGetValue("Last-Event-ID", out var value) ? value.ToString() : null;

    /// <summary>Gets the request's path and query.</summary>
    public string PathAndQuery => context.Request.Path + context.Request.QueryString;

    /// <summary>Gets the request's headers.</summary>
    public IHeaderDictionary RequestHeaders => context.Request.Headers;

    /// <summary>Completes when the client goes away (the server sees its connection close).</summary>
    public Task ClientGoneAsync()
    {
        var gone = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        context.RequestAborted.Register(() => gone.TrySetResult());
        return gone.Task.WaitAsync(TestGuard.Token);
    }

    /// <summary>Starts a 200 <c>text/event-stream</c> response and writes <paramref name="text"/>, if any.</summary>
    public async Task StartEventStreamAsync(string text = "")
    {
        context.Response.StatusCode = StatusCodes.Status200OK;
        context.Response.ContentType = "text/event-stream";
        context.Response.Headers.CacheControl = "no-cache";
        await context.Response.StartAsync(TestGuard.Token);
        await WriteAsync(text);
    }

    /// <summary>Writes text (UTF-8) to the body as it is and flushes it to the client.</summary>
    public async Task WriteAsync(string text)
    {
        await context.Response.Body.WriteAsync(Encoding.UTF8.GetBytes(text), TestGuard.Token);
        await context.Response.Body.FlushAsync(TestGuard.Token);
    }

    /// <summary>Answers with a status and an <c>application/problem+json</c> body whose <c>detail</c> is given, and ends.</summary>
    public async Task RespondProblemAsync(int status, string detail)
    {
        context.Response.StatusCode = status;
        context.Response.ContentType = "application/problem+json";
        await WriteAsync(JsonSerializer.Serialize(new { type = "about:blank", title = ReasonPhrases.GetReasonPhrase(status), status, detail }));
        End();
    }

    /// <summary>Answers with a status and no body, and ends.</summary>
    public void RespondStatus(int status)
    {
        context.Response.StatusCode = status;
        End();
    }

    /// <summary>Ends the response normally (the end of the body).</summary>
    public void End() => _done.TrySetResult();

    /// <summary>Resets the connection: before the headers a transport error, after them a dropped stream.</summary>
    public void Reset()
    {
        if (_done.Task.IsCompleted)
        {
            return; // Kestrel may already be reusing the context for another request.
        }

        context.Abort();
        _done.TrySetResult();
    }
}
