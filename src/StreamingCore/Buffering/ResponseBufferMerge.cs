namespace StreamingCore;

/// <summary>
/// Decides whether an incoming item can be merged into a queued one, for <see cref="OverflowStrategy.Coalesce"/>.
/// The buffer offers queued items from the newest to the oldest until one is merged or blocks.
/// </summary>
/// <typeparam name="T">The item type.</typeparam>
/// <param name="queued">An item still waiting in the buffer.</param>
/// <param name="incoming">The item being written.</param>
/// <param name="merged">When the result is <see cref="MergeResult.Merged"/>, the item that replaces <paramref name="queued"/>.</param>
/// <returns>What to do.</returns>
public delegate MergeResult ResponseBufferMerge<T>(T queued, T incoming, out T merged);
