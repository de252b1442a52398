namespace StreamingCore.Redis;

/// <summary>
/// The errors of the Failed events that the Redis scale-out publishes itself, so that a consumer can tell why a response
/// ended (<see cref="ChatStreamingEvent.Error"/>).
/// </summary>
public static class RedisChatStreamingErrors
{
    /// <summary>
    /// The producer's instance stopped renewing its lease on the response (it died, or lost Redis for longer than
    /// <see cref="RedisChatStreamingOptions.LeaseDuration"/>); another instance ended the response.
    /// </summary>
    public const string ProducerLost = "producer lost";

    /// <summary>The conversation's keys vanished from Redis (FLUSHALL, eviction, a failover without the data) while the response was active.</summary>
    public const string StreamLost = "stream lost";

    /// <summary>Another instance ended this instance's response because its lease lapsed while Redis was out of reach.</summary>
    public const string ResponseTakenOver = "response taken over";

    /// <summary>Redis refused to store the response's events (an error other than being unreachable); the rest of it could not be kept.</summary>
    public const string WriteFailed = "write failed";
}
