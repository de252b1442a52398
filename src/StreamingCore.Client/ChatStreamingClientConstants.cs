namespace StreamingCore.Client;

/// <summary>Defaults and fixed values of the client.</summary>
internal static class ChatStreamingClientConstants
{
    public static readonly TimeSpan DefaultMaxReconnectionDelay = TimeSpan.FromSeconds(30);
    public const int DefaultMaxConsecutiveFailures = 10;

    /// <summary>The wait before a reconnection until the server sends a <c>retry:</c> field (WHATWG leaves it to the client).</summary>
    public static readonly TimeSpan DefaultReconnectionDelay = TimeSpan.FromSeconds(1);

    /// <summary>The longest delay a timer accepts (uint.MaxValue - 1 milliseconds, about 49.7 days).</summary>
    public static readonly TimeSpan MaxTimerDueTime = TimeSpan.FromMilliseconds(uint.MaxValue - 1);

    /// <summary>The most bytes of an error response the client reads for its problem details.</summary>
    public const int MaxProblemDetailsLength = 64 * 1024;

    public const string EventStreamMediaType = "text/event-stream";
    public const string LastEventIdHeader = "Last-Event-ID";
}
