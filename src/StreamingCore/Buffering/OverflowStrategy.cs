namespace StreamingCore;

/// <summary>What a full bounded buffer does with one more item.</summary>
/// <remarks>
/// Note the difference from <see cref="System.Threading.Channels.BoundedChannelFullMode"/>: its
/// <c>DropNewest</c> removes the newest <em>buffered</em> item, while <see cref="DropNewest"/> here
/// discards the <em>incoming</em> one (the channel's <c>DropWrite</c>).
/// </remarks>
public enum OverflowStrategy
{
    /// <summary>
    /// Remove the oldest droppable item and add the new one. With no droppable item queued, the new one is kept past
    /// the capacity, up to <see cref="ResponseBuffer{T}.MaxCount"/>, where it is refused as under <see cref="Reject"/>.
    /// </summary>
    DropOldest,

    /// <summary>
    /// Discard the incoming item if it is droppable; one that is not is kept past the capacity, up to
    /// <see cref="ResponseBuffer{T}.MaxCount"/>, where it is refused as under <see cref="Reject"/>.
    /// </summary>
    DropNewest,

    /// <summary>
    /// Refuse the item: <c>TryWrite</c> returns <see langword="false"/> and <c>WriteAsync</c> throws
    /// <see cref="BufferFullException"/>. As for a bounded channel, <c>WaitToWriteAsync</c> completes
    /// <see langword="true"/> only when there is room (it waits for a read to free a slot), so the usual
    /// <c>WaitToWriteAsync</c>/<c>TryWrite</c> loop parks instead of spinning.
    /// </summary>
    Reject,

    /// <summary>The asynchronous writer waits for room (true backpressure); <c>TryWrite</c> returns <see langword="false"/> while full.</summary>
    Wait,

    /// <summary>
    /// Merge the incoming item into a queued one with the buffer's merge function (text deltas: concatenate), so
    /// nothing is lost. An item that merges with none is kept past the capacity, up to
    /// <see cref="ResponseBuffer{T}.MaxCount"/>, where it is refused as under <see cref="Reject"/>.
    /// </summary>
    Coalesce,
}
