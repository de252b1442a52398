namespace StreamingCore;

/// <summary>One item of a stream with its position.</summary>
/// <typeparam name="T">The payload type.</typeparam>
/// <param name="Sequence">The position in the stream, from 1.</param>
/// <param name="Data">The payload.</param>
/// <param name="Timestamp">When the chunk was stamped.</param>
/// <param name="IsFinal">Whether this is the stream's last chunk.</param>
public readonly record struct StreamChunk<T>(long Sequence, T Data, DateTimeOffset Timestamp, bool IsFinal = false);
