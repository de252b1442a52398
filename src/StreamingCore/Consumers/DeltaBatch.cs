using System.Text;

namespace StreamingCore;

/// <summary>
/// Deltas of one conversation waiting to be emitted as one: the text so far and the last sequence and time.
/// The coalescing operators hold one and emit it when the window closes or another event arrives.
/// </summary>
internal sealed class DeltaBatch
{
    // The combined text (a builder, so a long window costs linear copying).
    private readonly StringBuilder _text = new();

    // The batch's stream (the deltas' origin: a conversation id, or its id and epoch); null when empty.
    private object? _origin;

    // The last delta's sequence and time.
    private long _sequence;
    private DateTimeOffset _timestamp;

    public bool IsEmpty => _origin is null;

    /// <summary>Whether the delta can join this batch (same conversation and epoch); an empty batch takes any.</summary>
    public bool Accepts(in ChatStreamingEvent delta)
        => _origin is null || Equals(_origin, delta.Origin);

    public void Add(in ChatStreamingEvent delta)
    {
        _origin = delta.Origin;
        _text.Append(delta.Text);
        _sequence = delta.Sequence;
        _timestamp = delta.Timestamp;
    }

    /// <summary>The batch as one delta; empties the batch.</summary>
    public ChatStreamingEvent Take()
    {
        ChatStreamingEvent merged = ChatStreamingEvent.Restore(_origin!, ChatStreamingEventKind.Delta, _text.ToString(), _sequence, _timestamp.UtcTicks);
        _text.Clear();
        _origin = null;
        return merged;
    }
}
