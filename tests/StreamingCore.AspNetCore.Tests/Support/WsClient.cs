using System.Net.WebSockets;
using System.Text;
using System.Text.Json;

namespace StreamingCore.AspNetCore.Tests.Support;

/// <summary>A real <see cref="ClientWebSocket"/> to a test app, reading one JSON message (or the close) at a time.</summary>
internal sealed class WsClient : IDisposable
{
    private readonly System.Buffers.ArrayBufferWriter<byte> _buffer = new(64 * 1024);

    private WsClient(ClientWebSocket socket) => Socket = socket;

    public ClientWebSocket Socket { get; }

    public static async Task<WsClient> ConnectAsync(TestApp app, string conversationId, string? lastEventId = null)
    {
        var socket = new ClientWebSocket();
        socket.Options.CollectHttpResponseDetails = true;
        await socket.ConnectAsync(Uri(app, conversationId, lastEventId), TestGuard.Token);
        return new WsClient(socket);
    }

    public static Uri Uri(TestApp app, string conversationId, string? lastEventId = null)
    {
        string query = lastEventId is null ? string.Empty : $"?lastEventId={System.Uri.EscapeDataString(lastEventId)}";
        return new Uri($"ws://{app.Address.Authority}/chat/{System.Uri.EscapeDataString(conversationId)}/ws{query}");
    }

    /// <summary>The next message as JSON, or null when the server closed (see <see cref="WebSocket.CloseStatus"/>).</summary>
    public async Task<JsonElement?> ReceiveAsync()
    {
        _buffer.ResetWrittenCount();
        ValueWebSocketReceiveResult result;
        do
        {
            result = await Socket.ReceiveAsync(_buffer.GetMemory(16 * 1024), TestGuard.Token).Guarded();
            _buffer.Advance(result.Count);
        }
        while (!result.EndOfMessage);

        if (result.MessageType == WebSocketMessageType.Close)
        {
            return null;
        }

        return JsonDocument.Parse(_buffer.WrittenMemory).RootElement.Clone();
    }

    /// <summary>Receives messages up to and including the first of <paramref name="type"/>.</summary>
    public async Task<List<JsonElement>> ReceiveThroughAsync(string type)
    {
        List<JsonElement> messages = [];
        while (await ReceiveAsync() is { } message)
        {
            messages.Add(message);
            if (message.GetProperty("type").GetString() == type)
            {
                return messages;
            }
        }

        throw new InvalidOperationException($"Closed ({Socket.CloseStatus}) before a '{type}' message; {messages.Count} messages.");
    }

    /// <summary>Expects the server's close frame next, answers it, and returns its status.</summary>
    public async Task<WebSocketCloseStatus?> ReceiveCloseAsync()
    {
        JsonElement? message = await ReceiveAsync();
        if (message is not null)
        {
            throw new InvalidOperationException($"Expected the close, got {message}.");
        }

        await Socket.CloseOutputAsync(WebSocketCloseStatus.NormalClosure, null, TestGuard.Token).Guarded();
        return Socket.CloseStatus;
    }

    public Task SendAsync(string text) => SendAsync(Encoding.UTF8.GetBytes(text), WebSocketMessageType.Text);

    public Task SendAsync(byte[] bytes, WebSocketMessageType type)
        => Socket.SendAsync(bytes, type, endOfMessage: true, TestGuard.Token).Guarded();

    public void Dispose() => Socket.Dispose();
}

internal static class JsonElementExtensions
{
    public static string Type(this JsonElement message) => message.GetProperty("type").GetString()!;

    public static long Sequence(this JsonElement message) => message.GetProperty("sequence").GetInt64();
}
