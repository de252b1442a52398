using System.Buffers;
using System.Globalization;
using System.Net.ServerSentEvents;
using System.Runtime.CompilerServices;
using System.Text;
using System.Text.Json;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;

namespace StreamingCore.AspNetCore;

/// <summary>
/// One SSE response that follows a conversation: decides the status before the first byte, then writes <c>retry:</c>,
/// the events and heartbeat comments until the client leaves, the app stops or the connection's time is up.
/// </summary>
/// <remarks>
/// Events are framed by <see cref="SseFormatter"/>. It lacks two things this endpoint needs: it cannot write a comment
/// (heartbeats) and it writes <c>retry:</c> only inside an event, after its <c>data:</c>, while the contract wants it
/// as the very first line. Both are written here straight to the response body, and only between events: the formatter
/// writes and flushes each event before it asks the source for the next one, and the source is what writes them. (It
/// never reads <c>Last-Event-ID</c> either; <see cref="ResumePoint"/> does.)
/// </remarks>
internal sealed class SseConnection : IDisposable
{
    // A comment line: clients ignore it, proxies and load balancers see traffic.
    private static readonly byte[] Heartbeat = ": heartbeat\n\n"u8.ToArray();

    // The request being answered.
    private readonly HttpContext _context;

    // The conversation's events, across responses.
    private readonly ConversationFollower _follower;

    // Ends the work: the client leaving, the app stopping, MaxConnectionDuration.
    private readonly ConnectionLifetime _lifetime;

    // The clock of heartbeats (the store's).
    private readonly TimeProvider _timeProvider;

    // The settings, validated.
    private readonly ChatStreamingHttpOptions _options;

    // Writes each event's data JSON into the formatter's buffer; reset per event, allocated once per connection.
    private readonly Utf8JsonWriter _json = new(Stream.Null);

    // The next heartbeat while the stream waits; one timer per interval, never one per event. Null when none is due.
    private Task? _heartbeat;

    // A MoveNextAsync that a heartbeat overtook; awaited next (and drained before the follower is disposed).
    private Task<bool>? _pendingMove;

    private SseConnection(HttpContext context, ConversationFollower follower, ConnectionLifetime lifetime, TransportServices services)
    {
        _context = context;
        _follower = follower;
        _lifetime = lifetime;
        _timeProvider = services.TimeProvider;
        _options = services.Options;
    }

    /// <summary>What the stream does next.</summary>
    private enum Step
    {
        /// <summary><see cref="ConversationFollower.Current"/> is the next event.</summary>
        Event,

        /// <summary>Nothing arrived for a heartbeat interval.</summary>
        Heartbeat,

        /// <summary>The connection is over.</summary>
        End,
    }

    /// <summary>Answers <paramref name="context"/> with the SSE stream of one conversation.</summary>
    public static async Task ExecuteAsync(HttpContext context, string conversationId)
    {
        if (!ConversationIdRule.IsValid(conversationId, out string? invalidId))
        {
            await ChatStreamingProblems.BadRequest(invalidId).ExecuteAsync(context).ConfigureAwait(false);
            return;
        }

        if (!ResumePoint.TryRead(context.Request, out ChatStreamPosition? after, out string? malformed))
        {
            await ChatStreamingProblems.BadRequest(malformed).ExecuteAsync(context).ConfigureAwait(false);
            return;
        }

        TransportServices services = TransportServices.From(context);
        using var lifetime = new ConnectionLifetime(context.RequestAborted, services.ApplicationStopping, services.Options.MaxConnectionDuration, services.TimeProvider);
        var follower = new ConversationFollower(services.Store, conversationId, after, lifetime.Token);
        await using (follower.ConfigureAwait(false))
        {
            using var connection = new SseConnection(context, follower, lifetime, services);
            try
            {
                await connection.RunAsync().ConfigureAwait(false);
            }
            finally
            {
                // The follower must not be disposed under a pending MoveNextAsync: end it, then let it finish.
                lifetime.End();
                await connection.DrainAsync().ConfigureAwait(false);
            }
        }
    }

    private async Task RunAsync()
    {
        // The status depends on the subscription's first outcome (410, 429), so nothing is written before it is known:
        // an event, a refusal, or a heartbeat interval of waiting (then the subscription is established and waits).
        Step first;
        try
        {
            first = await NextAsync().ConfigureAwait(false);
        }
        catch (ChatStreamingException ex) when (ChatStreamingProblems.TryFromStoreError(ex, out var problem))
        {
            await problem.ExecuteAsync(_context).ConfigureAwait(false);
            return;
        }
        catch (ObjectDisposedException)
        {
            // The store is gone: the app is shutting down.
            await ChatStreamingProblems.ShuttingDown().ExecuteAsync(_context).ConfigureAwait(false);
            return;
        }
        catch (OperationCanceledException) when (_lifetime.Token.IsCancellationRequested)
        {
            first = Step.End;
        }

        if (_lifetime.Reason == ConnectionEnd.ClientLeft)
        {
            return;
        }

        CancellationToken clientLeft = _context.RequestAborted;
        try
        {
            await StartAsync(first == Step.Heartbeat, clientLeft).ConfigureAwait(false);

            // Writes are cancelled only when the client leaves; the app stopping or the duration passing ends the source
            // between two events, so the body ends normally and EventSource reconnects with the last complete event's id.
            await SseFormatter.WriteAsync(EventsAsync(first == Step.Event), _context.Response.Body, FormatData, clientLeft).ConfigureAwait(false);
        }
        catch (Exception ex) when (clientLeft.IsCancellationRequested && ex is OperationCanceledException or IOException)
        {
            // The client left mid-write; nothing to tell it.
        }
    }

    /// <summary>Sends the headers and the <c>retry:</c> line, and a heartbeat if that is what ended the wait for the first outcome.</summary>
    private async Task StartAsync(bool heartbeat, CancellationToken cancellationToken)
    {
        HttpResponse response = _context.Response;
        response.StatusCode = StatusCodes.Status200OK;
        response.ContentType = "text/event-stream";
        response.Headers.CacheControl = "no-cache";

        // The response compression middleware leaves a response with a Content-Encoding alone; a compressor would hold
        // events back until its block fills. nginx reads X-Accel-Buffering.
        response.Headers.ContentEncoding = "identity";
        response.Headers["X-Accel-Buffering"] = "no";
        _context.Features.Get<IHttpResponseBodyFeature>()?.DisableBuffering();

        await response.StartAsync(cancellationToken).ConfigureAwait(false);

        long retryMilliseconds = (long)_options.ReconnectionDelay.TotalMilliseconds;
        byte[] start = Encoding.UTF8.GetBytes(string.Create(CultureInfo.InvariantCulture, $"retry: {retryMilliseconds}\n\n"));
        await response.Body.WriteAsync(start, cancellationToken).ConfigureAwait(false);
        if (heartbeat)
        {
            await response.Body.WriteAsync(Heartbeat, cancellationToken).ConfigureAwait(false);
        }

        await response.Body.FlushAsync(cancellationToken).ConfigureAwait(false);
    }

    /// <summary>The events for <see cref="SseFormatter"/>; writes heartbeat comments itself while the formatter is idle.</summary>
    private async IAsyncEnumerable<SseItem<ChatStreamingEvent>> EventsAsync(bool firstIsEvent)
    {
        Stream body = _context.Response.Body;
        CancellationToken clientLeft = _context.RequestAborted;
        Step step = firstIsEvent ? Step.Event : await NextAfterStartAsync().ConfigureAwait(false);
        while (step != Step.End)
        {
            if (step == Step.Event)
            {
                ChatStreamingEvent current = _follower.Current;
                yield return new SseItem<ChatStreamingEvent>(current, ChatEventJson.EventName(current.Kind))
                {
                    EventId = current.Position.ToString(),
                };
            }
            else
            {
                await body.WriteAsync(Heartbeat, clientLeft).ConfigureAwait(false);
                await body.FlushAsync(clientLeft).ConfigureAwait(false);
            }

            step = await NextAfterStartAsync().ConfigureAwait(false);
        }
    }

    private void FormatData(SseItem<ChatStreamingEvent> item, IBufferWriter<byte> destination)
    {
        _json.Reset(destination);
        ChatEventJson.WriteSseData(_json, item.Data);
        _json.Flush();
    }

    /// <summary>
    /// The next step once the response has started: a refusal can no longer be a status, so any store error ends the body
    /// normally; the client reconnects with its last id and hears the refusal then (410, 429), or resumes exactly.
    /// </summary>
    private async ValueTask<Step> NextAfterStartAsync()
    {
        try
        {
            return await NextAsync().ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is ChatStreamingException or ObjectDisposedException
            || (ex is OperationCanceledException && _lifetime.Token.IsCancellationRequested))
        {
            return Step.End;
        }
    }

    /// <summary>Waits for the next event or a due heartbeat, whichever is first; a ready event costs no timer and no allocation.</summary>
    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder<>))]
    private async ValueTask<Step> NextAsync()
    {
        ValueTask<bool> move;
        if (_pendingMove is { } pending)
        {
            _pendingMove = null;
            move = new ValueTask<bool>(pending);
        }
        else
        {
            move = _follower.MoveNextAsync();
        }

        if (!move.IsCompleted)
        {
            Task<bool> moveTask = move.AsTask();
            _heartbeat ??= Task.Delay(_options.HeartbeatInterval, _timeProvider, _lifetime.Token);
            if (await Task.WhenAny(moveTask, _heartbeat).ConfigureAwait(false) != moveTask)
            {
                _heartbeat = null;
                _pendingMove = moveTask;
                return _lifetime.Token.IsCancellationRequested ? Step.End : Step.Heartbeat;
            }

            move = new ValueTask<bool>(moveTask);
        }

        return await move.ConfigureAwait(false) ? Step.Event : Step.End;
    }

    /// <summary>Lets an overtaken MoveNextAsync finish (the lifetime is ended, so it does promptly) and observes its outcome.</summary>
    private async Task DrainAsync()
    {
        if (_pendingMove is { } pending)
        {
            _pendingMove = null;
            try
            {
                await pending.ConfigureAwait(false);
            }
            catch (Exception ex) when (ex is OperationCanceledException or ChatStreamingException or ObjectDisposedException)
            {
                // The connection is over; how the subscription ended no longer matters.
            }
        }

        // A pending heartbeat is cancelled with the lifetime; a cancelled task needs no observer.
    }

    public void Dispose() => _json.Dispose();
}
