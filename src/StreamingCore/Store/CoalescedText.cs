using System.Diagnostics;

namespace StreamingCore;

/// <summary>
/// The text of a delta that a full subscriber queue is coalescing: a growable buffer that each merged delta appends to,
/// turned into the delta's string once, when a reader takes the delta from the queue. Concatenating strings instead would
/// copy the whole merged text on every merge, so a stalled subscriber would cost the producer O(n²) copying per run (up
/// to 4 KiB copied for every delta near <see cref="ChatStreamingConstants.MaxCoalescedDeltaLength"/>).
/// </summary>
/// <remarks>
/// Not thread-safe, and never shared: it belongs to one queued delta of one queue, and is only touched under that queue's
/// lock (merges) or by the reader that took the delta out of it.
/// </remarks>
[DebuggerDisplay("Length = {Length}")]
internal sealed class CoalescedText
{
    // The characters; grown by doubling (capped at the most a coalesced delta may hold), so appends are amortised O(1) per character.
    private char[] _chars;

    public CoalescedText(string first, int expectedLength)
    {
        _chars = new char[Math.Min(Math.Max(64, expectedLength * 2), ChatStreamingConstants.MaxCoalescedDeltaLength)];
        Append(first);
    }

    public int Length { get; private set; }

    public void Append(string text)
    {
        int needed = Length + text.Length;
        if (needed > _chars.Length)
        {
            Array.Resize(ref _chars, Math.Max(needed, Math.Min(_chars.Length * 2, ChatStreamingConstants.MaxCoalescedDeltaLength)));
        }

        text.CopyTo(0, _chars, Length, text.Length);
        Length = needed;
    }

    public override string ToString() => new(_chars, 0, Length);
}
