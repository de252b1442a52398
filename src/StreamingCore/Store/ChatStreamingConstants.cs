namespace StreamingCore;

/// <summary>Defaults and fixed limits of the chat layer.</summary>
internal static class ChatStreamingConstants
{
    public const int MaxConversationIdLength = 256;

    public static readonly TimeSpan DefaultIdleTimeout = TimeSpan.FromMinutes(2);
    public static readonly TimeSpan DefaultRetentionPeriod = TimeSpan.FromMinutes(5);
    public const int DefaultMaxActiveResponses = 10_000;
    public const int DefaultMaxResponseLength = 1024 * 1024;
    public const int DefaultMaxSubscribersPerConversation = 100;
    public const int DefaultSubscriberCapacity = 256;
    public const int DefaultMaxEventsPerResponse = 262_144;
    public const int DefaultMaxRetainedResponsesPerConversation = 16;
    public const long DefaultMaxRetainedBytes = 256L * 1024 * 1024;
    public const int DefaultMaxWaitingSubscribers = 10_000;
    public static readonly TimeSpan DefaultWaitingSubscriberTimeout = TimeSpan.FromMinutes(10);

    /// <summary>
    /// Coalesce stops merging into a queued delta at this many characters and queues a new one instead,
    /// so a stalled subscriber costs linear, not quadratic, copying; the extra items are bounded by
    /// MaxResponseLength / this.
    /// </summary>
    public const int MaxCoalescedDeltaLength = 4096;

    /// <summary>The most events a subscription takes from its queue at once (under one acquisition of the queue's lock).</summary>
    public const int SubscriberReadBurst = 16;

    /// <summary>The error of the Failed event that ends an idle response.</summary>
    public const string IdleTimeoutError = "idle timeout";

    /// <summary>
    /// The error of the Failed event that ends a response when its conversation's shared stream was replaced (another epoch,
    /// after the shared storage lost the conversation).
    /// </summary>
    public const string StreamReplacedError = "stream replaced";

    /// <summary>The error of the Failed event that ends a response still active when the store is disposed.</summary>
    public const string DisposedError = "store disposed";

    /// <summary>The default window of the delta-coalescing operators for UI updates.</summary>
    public static readonly TimeSpan DefaultCoalesceWindow = TimeSpan.FromMilliseconds(50);
}
