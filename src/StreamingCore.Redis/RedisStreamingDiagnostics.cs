namespace StreamingCore.Redis;

/// <summary>
/// The names of the Redis scale-out's instruments, on the core's meter (<see cref="StreamingCoreDiagnostics.MeterName"/>):
/// <c>metrics.AddMeter(StreamingCoreDiagnostics.MeterName)</c> collects them with the rest.
/// </summary>
public static class RedisStreamingDiagnostics
{
    /// <summary>Up-down counter: events waiting on this instance to be written to Redis.</summary>
    public const string OutboxLength = "streamingcore.redis.outbox.length";

    /// <summary>Histogram, seconds: one write of a batch of events to Redis (one script call).</summary>
    public const string WriteDuration = "streamingcore.redis.write.duration";

    /// <summary>Counter: events written to Redis.</summary>
    public const string EventsWritten = "streamingcore.redis.events.written";

    /// <summary>Counter: gaps in the live events (a lost or late message) repaired by reading the conversation's stream.</summary>
    public const string GapsRepaired = "streamingcore.redis.gaps.repaired";

    /// <summary>Counter: responses of this instance that Redis no longer accepted (keys lost, or ended by another instance).</summary>
    public const string ResponsesLost = "streamingcore.redis.responses.lost";
}
