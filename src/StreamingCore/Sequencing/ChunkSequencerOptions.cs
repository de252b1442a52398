namespace StreamingCore;

/// <summary>Options for a <see cref="ChunkSequencer{T}"/>.</summary>
public sealed class ChunkSequencerOptions
{
    /// <summary>
    /// Gets or sets how far ahead of the next expected sequence a chunk may be and still wait for the ones
    /// before it. Must be at least the number of chunks in flight. Default 64.
    /// </summary>
    public int ReorderWindow { get; set; } = 64;

    /// <summary>
    /// Gets or sets how far ahead a chunk may be before it is refused outright rather than forcing a gap
    /// (RTP's MAX_DROPOUT). At least <see cref="ReorderWindow"/>. Default 3,000.
    /// </summary>
    public int MaxAhead { get; set; } = 3000;

    /// <summary>
    /// Gets or sets how long buffered chunks wait for a missing one before it is reported as a gap. The time counts
    /// from when the missing chunk began blocking (it became the next expected one with chunks waiting behind it);
    /// later chunks arriving meanwhile do not restart it. Default <see cref="Timeout.InfiniteTimeSpan"/>: only the
    /// reorder window forces a gap.
    /// </summary>
    public TimeSpan GapTimeout { get; set; } = Timeout.InfiniteTimeSpan;

    /// <summary>Gets or sets a callback for every gap; it runs outside the sequencer's lock.</summary>
    public Action<SequenceGap>? GapDetected { get; set; }
}
