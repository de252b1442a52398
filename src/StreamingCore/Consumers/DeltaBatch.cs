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

    // The batch's conversation; null when empty.
    private string? _conversationId;

    // The last delta's sequence and time.
    private long _sequence;
    private DateTimeOffset _timestamp;

    public bool IsEmpty => _conversationId is null;

    /// <summary>Whether the delta can join this batch (same conversation); an empty batch takes any.</summary>
    public bool Accepts(in ChatStreamingEvent delta)
        => _conversationId is null || string.Equals(_conversationId, delta.ConversationId, StringComparison.Ordinal);

    public void Add(in ChatStreamingEvent delta)
    {
        _conversationId = delta.ConversationId;
        _text.Append(delta.Text);
        _sequence = delta.Sequence;
        _timestamp = delta.Timestamp;
    }

    /// <summary>The batch as one delta; empties the batch.</summary>
    public ChatStreamingEvent Take()
    {
        ChatStreamingEvent merged = ChatStreamingEvent.Restore(_conversationId!, ChatStreamingEventKind.Delta, _text.ToString(), _sequence, _timestamp.UtcTicks);
        _text.Clear();
        _conversationId = null;
        return merged;
    }
}
