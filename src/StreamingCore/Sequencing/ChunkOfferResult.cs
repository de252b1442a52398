namespace StreamingCore;

/// <summary>What <see cref="ChunkSequencer{T}.Offer"/> did with a chunk.</summary>
public enum ChunkOfferResult
{
    /// <summary>The chunk was the next expected one and was released to the reader (with any buffered chunks that follow it).</summary>
    Released,

    /// <summary>The chunk arrived early and waits, within the reorder window, for the chunks before it.</summary>
    Buffered,

    /// <summary>The chunk was already released or buffered; it was dropped and counted.</summary>
    Duplicate,

    /// <summary>The chunk is too far ahead of the next expected one, or lies past a known final chunk (released or still waiting); it was refused.</summary>
    Rejected,
}
