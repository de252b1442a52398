namespace StreamingCore.AspNetCore;

/// <summary>Defaults and limits of the HTTP transports, in one place.</summary>
internal static class ChatStreamingHttpConstants
{
    public static readonly TimeSpan DefaultHeartbeatInterval = TimeSpan.FromSeconds(15);

    public static readonly TimeSpan DefaultReconnectionDelay = TimeSpan.FromSeconds(3);

    /// <summary>The longest due time a <see cref="TimeProvider"/> timer accepts (uint.MaxValue - 1 milliseconds).</summary>
    public static readonly TimeSpan MaxTimerDueTime = TimeSpan.FromMilliseconds(uint.MaxValue - 1.0);

    /// <summary>The route value that names the conversation.</summary>
    public const string ConversationIdRouteValue = "conversationId";

    /// <summary>The query parameter a client without the header (a WebSocket, a first EventSource connection) resumes with.</summary>
    public const string LastEventIdQueryParameter = "lastEventId";

    /// <summary>The most UTF-8 bytes of one message a WebSocket client may send.</summary>
    public const int MaxClientMessageBytes = 4096;
}
