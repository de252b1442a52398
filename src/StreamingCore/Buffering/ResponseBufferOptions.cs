namespace StreamingCore;

/// <summary>Options for a <see cref="ResponseBuffer{T}"/>.</summary>
/// <typeparam name="T">The item type.</typeparam>
public sealed class ResponseBufferOptions<T>
{
    /// <summary>Gets or sets how many items the buffer holds before <see cref="OverflowStrategy"/> applies. Default 256.</summary>
    public int Capacity { get; set; } = 256;

    /// <summary>Gets or sets what a full buffer does with one more item. Default <see cref="OverflowStrategy.Wait"/>, as for a channel.</summary>
    public OverflowStrategy OverflowStrategy { get; set; } = OverflowStrategy.Wait;

    /// <summary>Gets or sets the merge function; required for <see cref="OverflowStrategy.Coalesce"/>.</summary>
    public ResponseBufferMerge<T>? Merge { get; set; }

    /// <summary>
    /// Gets or sets which items may be dropped by <see cref="OverflowStrategy.DropOldest"/> and
    /// <see cref="OverflowStrategy.DropNewest"/>. An item it refuses (a stream's start or end, say) is kept even
    /// past <see cref="Capacity"/>, up to <see cref="MaxCount"/>. Default: every item may be dropped.
    /// </summary>
    public Func<T, bool>? CanDrop { get; set; }

    /// <summary>
    /// Gets or sets the most items the buffer ever holds. <see cref="OverflowStrategy.Coalesce"/> keeps items it
    /// cannot merge, and <see cref="OverflowStrategy.DropOldest"/> and <see cref="OverflowStrategy.DropNewest"/> keep
    /// items <see cref="CanDrop"/> pins, past <see cref="Capacity"/>; a write that the strategy would keep past this
    /// bound is refused as <see cref="OverflowStrategy.Reject"/> refuses (<c>TryWrite</c> returns
    /// <see langword="false"/>, <c>WriteAsync</c> throws <see cref="BufferFullException"/>), and nothing queued is lost.
    /// So a consumer that stopped reading costs at most this many items, and no write scans more.
    /// At least <see cref="Capacity"/>. Default <see langword="null"/>: twice the capacity.
    /// </summary>
    public int? MaxCount { get; set; }

    /// <summary>
    /// Gets or sets a callback for every dropped item. It runs after the buffer's lock is released, on the writing
    /// thread. An exception it throws does not fail the write (which already happened); the buffer counts it in
    /// <see cref="ResponseBuffer{T}.CallbackFailureCount"/>.
    /// </summary>
    public Action<T>? ItemDropped { get; set; }

    /// <summary>
    /// Gets or sets, for <see cref="OverflowStrategy.Wait"/>, the count at or below which waiting writers resume
    /// once the buffer was full (hysteresis, so writers do not wake for every single free slot).
    /// Default <see langword="null"/>: half the capacity.
    /// </summary>
    public int? ResumeWritingAt { get; set; }
}
