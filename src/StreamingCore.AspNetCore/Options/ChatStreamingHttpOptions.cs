namespace StreamingCore.AspNetCore;

/// <summary>
/// Settings of the SSE and WebSocket endpoints (<c>MapChatStreamingEvents</c>, <c>MapChatStreamingWebSocket</c>) and of
/// <see cref="ChatStreamingResults"/>. Set them with <c>services.Configure&lt;ChatStreamingHttpOptions&gt;(...)</c> or bind
/// them from configuration; they are validated when an endpoint is mapped and when a connection reads them, and every
/// invalid setting is named in one <see cref="Microsoft.Extensions.Options.OptionsValidationException"/>.
/// </summary>
public sealed class ChatStreamingHttpOptions
{
    /// <summary>
    /// Gets or sets how often an idle connection is kept alive: an SSE comment line, or a WebSocket ping frame.
    /// Default 15 seconds (the WHATWG advice, so that proxies keep the connection).
    /// </summary>
    public TimeSpan HeartbeatInterval { get; set; } = ChatStreamingHttpConstants.DefaultHeartbeatInterval;

    /// <summary>
    /// Gets or sets how long an SSE client waits before it reconnects, sent once as the stream's first line
    /// (<c>retry:</c>, whole milliseconds). Default 3 seconds.
    /// </summary>
    public TimeSpan ReconnectionDelay { get; set; } = ChatStreamingHttpConstants.DefaultReconnectionDelay;

    /// <summary>
    /// Gets or sets how long one connection may last before the server ends it cleanly so that the client resumes, possibly
    /// on another instance (SSE: the body ends normally; WebSocket: close 1000). Default <see langword="null"/>: no limit.
    /// </summary>
    public TimeSpan? MaxConnectionDuration { get; set; }
}
