using System.Buffers;
using System.Globalization;
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
/// Each event is framed here as the contract writes it: <c>id:</c>, <c>event:</c>, <c>data:</c>, then a blank line.
/// <c>System.Net.ServerSentEvents.SseFormatter</c> does not fit: it writes <c>id:</c> after <c>data:</c>, so a
/// client that reads line by line and acts on <c>data:</c> would still hold the previous event's id (and resume one event
/// too early: a duplicate); it cannot write a comment (heartbeats); and it writes <c>retry:</c> only inside an event, after
/// its <c>data:</c>, while the contract wants it as the very first line. It never reads <c>Last-Event-ID</c> either;
/// <see cref="ResumePoint"/> does.
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

    // The settings, validated.
    private readonly ChatStreamingHttpOptions _options;

    // The frame of one event, written whole and flushed; reused for every event of the connection.
    private readonly ArrayBufferWriter<byte> _frame = new(256);

    // Writes each event's data JSON into _frame; reset per event, allocated once per connection.
    private readonly Utf8JsonWriter _json = new(Stream.Null);

    // The race of a pending MoveNextAsync against the next heartbeat, on the store's clock: one timer and one awaitable for
    // the connection, so an idle connection allocates nothing per interval. It also holds a move that a heartbeat overtook,
    // continued next (and drained before the follower is disposed).
    private readonly HeartbeatWait _wait;

    private SseConnection(HttpContext context, ConversationFollower follower, ConnectionLifetime lifetime, TransportServices services)
    {
        _context = context;
        _follower = follower;
        _lifetime = lifetime;
        _options = services.Options;
        _wait = new HeartbeatWait(services.Options.HeartbeatInterval, services.TimeProvider, lifetime.Token);
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
            await WriteEventsAsync(first == Step.Event, clientLeft).ConfigureAwait(false);
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

    /// <summary>Writes each event and each due heartbeat comment, flushing after each, until the connection is over.</summary>
    private async Task WriteEventsAsync(bool firstIsEvent, CancellationToken clientLeft)
    {
        Stream body = _context.Response.Body;
        Step step = firstIsEvent ? Step.Event : await NextAfterStartAsync().ConfigureAwait(false);
        while (step != Step.End)
        {
            ReadOnlyMemory<byte> bytes = step == Step.Event ? FormatEvent(_follower.Current) : Heartbeat;
            await body.WriteAsync(bytes, clientLeft).ConfigureAwait(false);
            await body.FlushAsync(clientLeft).ConfigureAwait(false);
            step = await NextAfterStartAsync().ConfigureAwait(false);
        }
    }

    /// <summary>
    /// One event's frame: <c>id: epoch:sequence</c>, <c>event: kind</c>, <c>data: {json}</c>, a blank line. The id is
    /// <c>[A-Za-z0-9._:-]</c> and the JSON escapes every control character, so no field can contain a line break.
    /// </summary>
    private ReadOnlyMemory<byte> FormatEvent(in ChatStreamingEvent streamingEvent)
    {
        _frame.ResetWrittenCount();
        // Position checks the epoch's characters; an event without one was never published (a custom store's bug).
        ChatStreamPosition position = streamingEvent.Position;
        string epoch = position.Epoch ?? throw new InvalidOperationException(
            $"The store yielded an unpublished event of conversation '{streamingEvent.ConversationId}' (no epoch); it has no id to send.");
        _frame.Write("id: "u8);
        _frame.Advance(Encoding.ASCII.GetBytes(epoch, _frame.GetSpan(epoch.Length)));
        _frame.Write(":"u8);
        Span<byte> digits = _frame.GetSpan(20);
        position.Sequence.TryFormat(digits, out int written, default, CultureInfo.InvariantCulture);
        _frame.Advance(written);
        _frame.Write("\nevent: "u8);
        _frame.Write(ChatEventJson.EventNameUtf8(streamingEvent.Kind));
        _frame.Write("\ndata: "u8);
        _json.Reset(_frame);
        ChatEventJson.WriteSseData(_json, streamingEvent);
        _json.Flush();
        _frame.Write("\n\n"u8);
        return _frame.WrittenMemory;
    }

    /// <summary>
    /// The next step once the response has started: a refusal can no longer be a status, so any store error ends the body
    /// normally; the client reconnects with its last id and hears the refusal then (410, 429), or resumes exactly.
    /// </summary>
    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder<>))]
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
        if (!_wait.IsFollowingMove)
        {
            ValueTask<bool> move = _follower.MoveNextAsync();
            if (move.IsCompleted)
            {
                return await move.ConfigureAwait(false) ? Step.Event : Step.End;
            }

            _wait.Follow(move);
        }

        if (!await _wait.WaitAsync().ConfigureAwait(false))
        {
            // The move stays followed: the next call continues it rather than starting a second one.
            return _lifetime.Token.IsCancellationRequested ? Step.End : Step.Heartbeat;
        }

        return _wait.TakeMove().GetAwaiter().GetResult() ? Step.Event : Step.End;
    }

    /// <summary>Lets an overtaken MoveNextAsync finish (the lifetime is ended, so it does promptly) and observes its outcome.</summary>
    private async Task DrainAsync()
    {
        if (_wait.IsFollowingMove)
        {
            try
            {
                await _wait.WaitForMoveAsync().ConfigureAwait(false);
                _wait.TakeMove().GetAwaiter().GetResult();
            }
            catch (Exception ex) when (ex is OperationCanceledException or ChatStreamingException or ObjectDisposedException)
            {
                // The connection is over; how the subscription ended no longer matters.
            }
        }
    }

    public void Dispose()
    {
        _wait.Dispose();
        _json.Dispose();
    }
}
