namespace StreamingCore;

/// <summary>Options for a <see cref="StreamManager{T}"/>.</summary>
public sealed class StreamManagerOptions
{
    /// <summary>Gets or sets how many streams may be active at once. Default 10,000.</summary>
    public int MaxStreams { get; set; } = 10_000;

    /// <summary>Gets or sets how many items each stream buffers. Default 256.</summary>
    public int StreamCapacity { get; set; } = 256;

    /// <summary>
    /// Gets or sets what a full stream does with one more item. Default <see cref="OverflowStrategy.Wait"/>:
    /// a managed stream is a single-consumer pipeline, where backpressure to the producer is the point.
    /// <see cref="OverflowStrategy.Coalesce"/> needs a merge function and is not available here; use <see cref="ResponseBuffer{T}"/>.
    /// </summary>
    public OverflowStrategy StreamOverflow { get; set; } = OverflowStrategy.Wait;

    /// <summary>Gets or sets how long a stream may go without a write before it ends as <see cref="StreamState.TimedOut"/>. Default 5 minutes; <see cref="Timeout.InfiniteTimeSpan"/> disables it.</summary>
    public TimeSpan IdleTimeout { get; set; } = TimeSpan.FromMinutes(5);
}
