namespace StreamingCore.Redis;

/// <summary>
/// Settings of the Redis scale-out (<c>AddRedis</c>). The store's own settings (<see cref="ChatStreamingOptions"/>) still apply:
/// <see cref="ChatStreamingOptions.RetentionPeriod"/> is also how long Redis keeps a conversation's history after its last
/// write, and <see cref="ChatStreamingOptions.IdleTimeout"/> is how soon another instance ends a response whose producer
/// stopped renewing its lease.
/// </summary>
public sealed class RedisChatStreamingOptions
{
    /// <summary>
    /// Gets or sets what every key and channel name starts with, before the conversation's <c>{hash tag}</c>; default
    /// <c>streamingcore:</c>. Give applications that share a Redis different prefixes.
    /// </summary>
    public string KeyPrefix { get; set; } = "streamingcore:";

    /// <summary>
    /// Gets or sets how long a producer's claim on its active response lasts without renewal; default 15 seconds. The
    /// producer's instance renews it three times per period while the response is active. Once it lapses (the instance
    /// died, or cannot reach Redis), another instance ends the response with Failed.
    /// </summary>
    public TimeSpan LeaseDuration { get; set; } = TimeSpan.FromSeconds(15);

    /// <summary>
    /// Gets or sets how many events may wait on this instance to be written to Redis (all conversations together); default
    /// 100,000. When it is full, <c>Publish</c> refuses Delta events with <see cref="ChatStreamingError.StoreUnavailable"/>
    /// and stamps nothing (Finished and Failed always fit), so a reader sees an exact prefix, never a hole.
    /// </summary>
    public int MaxOutboxLength { get; set; } = 100_000;

    /// <summary>Gets or sets how many queued events one write to Redis carries at most; default 256.</summary>
    public int MaxBatchSize { get; set; } = 256;

    /// <summary>
    /// Gets or sets how many events a conversation's stream keeps at most (trimmed approximately, oldest first); default
    /// 300,000, above <see cref="ChatStreamingOptions.MaxEventsPerResponse"/> so that an active response is never trimmed.
    /// </summary>
    public int MaxStreamLength { get; set; } = 300_000;

    /// <summary>
    /// Gets or sets how long a conversation's epoch and last sequence outlive its last write; default 30 days. Longer than
    /// the history, so that a client's old position is recognised as expired (<see cref="ChatStreamingError.SequenceNotRetained"/>)
    /// rather than met by a new stream that reuses its numbers.
    /// </summary>
    public TimeSpan MetadataExpiry { get; set; } = TimeSpan.FromDays(30);

    /// <summary>
    /// Gets or sets how long a call that must reach Redis before it returns may take (a <c>Started</c>, a subscription's first
    /// read, a resume that waits for the producer's instance to catch up); default 5 seconds.
    /// </summary>
    public TimeSpan OperationTimeout { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>
    /// Gets or sets how long disposing the store waits for queued events to reach Redis; default 5 seconds.
    /// </summary>
    public TimeSpan ShutdownTimeout { get; set; } = TimeSpan.FromSeconds(5);
}
