namespace StreamingCore;

/// <summary>A run of sequence numbers that a <see cref="ChunkSequencer{T}"/> gave up waiting for.</summary>
/// <param name="From">The first missing sequence.</param>
/// <param name="To">The last missing sequence.</param>
/// <param name="TimedOut"><see langword="true"/> when the gap timeout passed; <see langword="false"/> when the reorder window was exceeded.</param>
public readonly record struct SequenceGap(long From, long To, bool TimedOut)
{
    /// <summary>Gets how many sequence numbers are missing.</summary>
    public long Count => To - From + 1;
}
