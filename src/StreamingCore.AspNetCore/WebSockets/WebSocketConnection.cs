using System.Buffers;
using System.Net.WebSockets;
using System.Text.Json;
using Microsoft.AspNetCore.Http;

namespace StreamingCore.AspNetCore;

/// <summary>
/// One WebSocket that follows a conversation: <c>connected</c>, then its events as JSON text messages, until the client
/// closes or leaves, the app stops (close 1001) or the connection's time is up (close 1000). Meanwhile it answers the
/// client's <c>ping</c> with <c>pong</c> and anything else with a <c>bad_request</c> error, and closes with 1009 on a
/// message over 4,096 bytes.
/// </summary>
/// <remarks>
/// Two loops share the socket: events go out from one, replies to the client from the other. A WebSocket allows one send
/// at a time, so both send under <see cref="_sendLock"/>; a client that does not read therefore also stops being read,
/// which pushes back on it (TCP) rather than buffering replies. Sends are cancelled only when the client has left, because
/// cancelling a send aborts the socket; the app stopping or the time limit ends the event loop between two messages.
/// </remarks>
internal sealed class WebSocketConnection : IDisposable
{
    /// <summary>How long a close handshake may take once this side has sent its close frame.</summary>
    internal static readonly TimeSpan CloseTimeout = TimeSpan.FromSeconds(5);

    private static readonly byte[] Pong = """{"type":"pong"}"""u8.ToArray();

    // The accepted socket.
    private readonly WebSocket _socket;

    // Ends the event loop: the client leaving, the app stopping, MaxConnectionDuration, or the receive loop ending.
    private readonly ConnectionLifetime _lifetime;

    // The request's abort token: the only one that cancels a send or a receive.
    private readonly CancellationToken _clientLeft;

    // The clock of the close handshake's timeout (the store's).
    private readonly TimeProvider _timeProvider;

    // One send at a time (see remarks); also guards _closeSent.
    private readonly SemaphoreSlim _sendLock = new(1, 1);

    // The event loop's message buffer and writer, reused for every event.
    private readonly ArrayBufferWriter<byte> _eventBuffer = new(256);
    private readonly Utf8JsonWriter _eventJson;

    // Whether this side has sent its close frame; nothing is sent after it.
    private bool _closeSent;

    private WebSocketConnection(WebSocket socket, ConnectionLifetime lifetime, CancellationToken clientLeft, TimeProvider timeProvider)
    {
        _socket = socket;
        _lifetime = lifetime;
        _clientLeft = clientLeft;
        _timeProvider = timeProvider;
        _eventJson = new Utf8JsonWriter(_eventBuffer);
    }

    /// <summary>Accepts the upgrade and streams the conversation; refuses a request that is no WebSocket upgrade or names an invalid conversation with 400.</summary>
    public static async Task ExecuteAsync(HttpContext context, string conversationId)
    {
        if (!context.WebSockets.IsWebSocketRequest)
        {
            await ChatStreamingProblems.BadRequest(
                "This endpoint accepts only WebSocket upgrade requests (if this was one, add app.UseWebSockets() before the endpoints).")
                .ExecuteAsync(context).ConfigureAwait(false);
            return;
        }

        if (!ConversationIdRule.IsValid(conversationId, out string? invalidId))
        {
            await ChatStreamingProblems.BadRequest(invalidId).ExecuteAsync(context).ConfigureAwait(false);
            return;
        }

        TransportServices services = TransportServices.From(context);

        // Keep-alive is the protocol's own ping frame, sent by the runtime's WebSocket.
        using WebSocket socket = await context.WebSockets.AcceptWebSocketAsync(
            new WebSocketAcceptContext { KeepAliveInterval = services.Options.HeartbeatInterval }).ConfigureAwait(false);
        using var lifetime = new ConnectionLifetime(context.RequestAborted, services.ApplicationStopping, services.Options.MaxConnectionDuration, services.TimeProvider);
        using var connection = new WebSocketConnection(socket, lifetime, context.RequestAborted, services.TimeProvider);
        await connection.RunAsync(services.Store, conversationId, context.Request).ConfigureAwait(false);
    }

    private async Task RunAsync(IChatStreamingStore store, string conversationId, HttpRequest request)
    {
        Task receiving = Task.CompletedTask;
        try
        {
            await SendConnectedAsync(conversationId).ConfigureAwait(false);
            receiving = ReceiveAsync();
            if (ResumePoint.TryRead(request, out ChatStreamPosition? after, out string? malformed))
            {
                await StreamEventsAsync(store, conversationId, after).ConfigureAwait(false);
            }
            else
            {
                await RefuseAsync(WebSocketErrorCodes.BadRequest, malformed, WebSocketCloseStatus.NormalClosure).ConfigureAwait(false);
            }

            // The close handshake: the receive loop ends when the client's close frame arrives.
            await receiving.WaitAsync(CloseTimeout, _timeProvider, _clientLeft).ConfigureAwait(false);
        }
        catch (TimeoutException)
        {
            // The client never answered the close frame.
            _socket.Abort();
        }
        catch (Exception ex) when (ex is OperationCanceledException or WebSocketException)
        {
            // The client left.
        }
        finally
        {
            _lifetime.End();
            await receiving.ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
        }
    }

    /// <summary>Sends the conversation's events until the lifetime ends, then closes as the reason requires.</summary>
    private async Task StreamEventsAsync(IChatStreamingStore store, string conversationId, ChatStreamPosition? after)
    {
        var follower = new ConversationFollower(store, conversationId, after, _lifetime.Token);
        await using (follower.ConfigureAwait(false))
        {
            try
            {
                while (await follower.MoveNextAsync().ConfigureAwait(false))
                {
                    await SendEventAsync(follower.Current).ConfigureAwait(false);
                }
            }
            catch (ChatStreamingException ex)
            {
                // TooManySubscribers is a policy; the rest (not retained, overflow) end normally for the client to act on.
                WebSocketCloseStatus status = ex.Error == ChatStreamingError.TooManySubscribers
                    ? WebSocketCloseStatus.PolicyViolation
                    : WebSocketCloseStatus.NormalClosure;
                await RefuseAsync(WebSocketErrorCodes.From(ex.Error), ex.Message, status).ConfigureAwait(false);
                return;
            }
            catch (OperationCanceledException) when (_lifetime.Token.IsCancellationRequested)
            {
            }
            catch (ObjectDisposedException)
            {
                // The store is gone: the app is shutting down.
                await CloseAsync(WebSocketCloseStatus.EndpointUnavailable, "The server is shutting down.").ConfigureAwait(false);
                return;
            }
        }

        switch (_lifetime.Reason)
        {
            case ConnectionEnd.ApplicationStopping:
                await CloseAsync(WebSocketCloseStatus.EndpointUnavailable, "The server is shutting down.").ConfigureAwait(false);
                break;
            case ConnectionEnd.MaxDurationReached:
                await CloseAsync(WebSocketCloseStatus.NormalClosure, "MaxConnectionDuration reached; reconnect with lastEventId.").ConfigureAwait(false);
                break;
            case ConnectionEnd.None:
                // The subscription ended on its own (a no-op when the receive loop ended the connection: it closed already).
                await CloseAsync(WebSocketCloseStatus.NormalClosure, "The stream ended; reconnect with lastEventId.").ConfigureAwait(false);
                break;
        }
    }

    /// <summary>Reads the client's messages until its close frame arrives or it leaves.</summary>
    private async Task ReceiveAsync()
    {
        byte[] buffer = ArrayPool<byte>.Shared.Rent(ChatStreamingHttpConstants.MaxClientMessageBytes + 1);
        try
        {
            while (true)
            {
                int length = 0;
                bool tooBig = false;
                ValueWebSocketReceiveResult result;
                do
                {
                    // Past the limit the rest of the message is read into the same space and dropped.
                    Memory<byte> space = tooBig ? buffer : buffer.AsMemory(length);
                    result = await _socket.ReceiveAsync(space, _clientLeft).ConfigureAwait(false);
                    if (result.MessageType == WebSocketMessageType.Close)
                    {
                        await CloseAsync(_socket.CloseStatus ?? WebSocketCloseStatus.NormalClosure, null).ConfigureAwait(false);
                        return;
                    }

                    if (!tooBig)
                    {
                        length += result.Count;
                        if (length > ChatStreamingHttpConstants.MaxClientMessageBytes)
                        {
                            tooBig = true;
                            await CloseAsync(WebSocketCloseStatus.MessageTooBig, $"A message must be at most {ChatStreamingHttpConstants.MaxClientMessageBytes} bytes.").ConfigureAwait(false);
                        }
                    }
                }
                while (!result.EndOfMessage);

                if (!tooBig && !_closeSent)
                {
                    await ReplyAsync(result.MessageType, buffer.AsMemory(0, length)).ConfigureAwait(false);
                }
            }
        }
        catch (Exception ex) when (ex is OperationCanceledException or WebSocketException)
        {
            // The client left or the socket was aborted.
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
            _lifetime.End();
        }
    }

    private Task ReplyAsync(WebSocketMessageType type, ReadOnlyMemory<byte> message)
    {
        if (type == WebSocketMessageType.Binary)
        {
            return SendErrorAsync(WebSocketErrorCodes.BadRequest, "Binary messages are not accepted; send JSON text messages such as {\"type\":\"ping\"}.");
        }

        string? problem;
        try
        {
            using JsonDocument document = JsonDocument.Parse(message);
            if (document.RootElement.ValueKind == JsonValueKind.Object
                && document.RootElement.TryGetProperty("type", out JsonElement messageType)
                && messageType.ValueKind == JsonValueKind.String
                && messageType.ValueEquals("ping"u8))
            {
                return SendAsync(Pong);
            }

            problem = "Unknown message; the only message a client sends is {\"type\":\"ping\"}.";
        }
        catch (JsonException)
        {
            problem = "The message is not JSON (UTF-8 text); the only message a client sends is {\"type\":\"ping\"}.";
        }

        return SendErrorAsync(WebSocketErrorCodes.BadRequest, problem);
    }

    /// <summary>Sends an <c>error</c> message, then closes.</summary>
    private async Task RefuseAsync(string code, string message, WebSocketCloseStatus status)
    {
        await SendErrorAsync(code, message).ConfigureAwait(false);
        await CloseAsync(status, code).ConfigureAwait(false);
    }

    private Task SendErrorAsync(string code, string message)
    {
        var buffer = new ArrayBufferWriter<byte>(128);
        using (var writer = new Utf8JsonWriter(buffer))
        {
            ChatEventJson.WriteError(writer, code, message);
        }

        return SendAsync(buffer.WrittenMemory);
    }

    /// <summary>Formats an event with the event loop's reused writer and sends it.</summary>
    private Task SendEventAsync(in ChatStreamingEvent streamingEvent)
    {
        ChatEventJson.WriteWebSocketEvent(ResetEventWriter(), streamingEvent);
        _eventJson.Flush();
        return SendAsync(_eventBuffer.WrittenMemory);
    }

    private Task SendConnectedAsync(string conversationId)
    {
        ChatEventJson.WriteConnected(ResetEventWriter(), conversationId);
        _eventJson.Flush();
        return SendAsync(_eventBuffer.WrittenMemory);
    }

    private Utf8JsonWriter ResetEventWriter()
    {
        _eventBuffer.ResetWrittenCount();
        _eventJson.Reset(_eventBuffer);
        return _eventJson;
    }

    private async Task SendAsync(ReadOnlyMemory<byte> message)
    {
        await _sendLock.WaitAsync(_clientLeft).ConfigureAwait(false);
        try
        {
            if (!_closeSent)
            {
                await _socket.SendAsync(message, WebSocketMessageType.Text, endOfMessage: true, _clientLeft).ConfigureAwait(false);
            }
        }
        finally
        {
            _sendLock.Release();
        }
    }

    /// <summary>Sends this side's close frame (once) and ends the event loop; the receive loop reads on until the client's close frame.</summary>
    private async Task CloseAsync(WebSocketCloseStatus status, string? description)
    {
        await _sendLock.WaitAsync(_clientLeft).ConfigureAwait(false);
        try
        {
            if (!_closeSent && _socket.State is WebSocketState.Open or WebSocketState.CloseReceived)
            {
                _closeSent = true;
                await _socket.CloseOutputAsync(status, description, _clientLeft).ConfigureAwait(false);
            }
        }
        finally
        {
            _sendLock.Release();
            _lifetime.End();
        }
    }

    public void Dispose()
    {
        _sendLock.Dispose();
        _eventJson.Dispose();
    }
}
