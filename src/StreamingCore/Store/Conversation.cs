using System.Diagnostics;

namespace StreamingCore;

/// <summary>
/// The state of one conversation in a <see cref="DefaultChatStreamingStore"/>. <see cref="Gate"/> guards all
/// of it; publishing, subscribing and eviction of one conversation are serialised by it, which is what makes
/// a resume exact (the replay snapshot and the live registration happen under the same lock).
/// </summary>
[DebuggerDisplay("{Id,nq}: last {Sequencer.LastStamped}, {Subscribers.Length} subscribers")]
internal sealed class Conversation(string id, TimeProvider timeProvider)
{
    public string Id { get; } = id;

    public object Gate { get; } = new();

    /// <summary>The conversation's stream in this state's lifetime: its id and a new epoch, stamped on every event.</summary>
    public ChatStreamOrigin Origin { get; set; } = ChatStreamOrigin.Create(id);

    /// <summary>Stamps the conversation's sequence numbers, continuing across its responses.</summary>
    public ChunkSequencer<ChatStreamingEvent> Sequencer { get; } = new(timeProvider: timeProvider);

    /// <summary>The response in progress, if any.</summary>
    public ResponseLog? Active { get; set; }

    /// <summary>Ended responses still retained, oldest first; with <see cref="Active"/> their sequences are contiguous.</summary>
    public List<ResponseLog> Ended { get; } = [];

    /// <summary>Live subscriptions; replaced, never mutated, so the array can be iterated while it changes.</summary>
    public Subscription[] Subscribers { get; set; } = [];

    /// <summary>True once the conversation left the store; operations that raced with that retry on a new one.</summary>
    public bool Removed { get; set; }

    public bool IsUnused => Active is null && Ended.Count == 0 && Subscribers.Length == 0;

    /// <summary>The conversation's current response: the active one, else the most recent retained one.</summary>
    public ResponseLog? Current => Active ?? (Ended.Count > 0 ? Ended[^1] : null);

    /// <summary>The retained response holding <paramref name="sequence"/>, if any (a binary search: Ended is in sequence order).</summary>
    public ResponseLog? FindResponse(long sequence)
    {
        if (Active is { } active && sequence >= active.FirstSequence)
        {
            return sequence <= active.LastSequence ? active : null;
        }

        int low = 0;
        int high = Ended.Count - 1;
        while (low <= high)
        {
            int middle = low + ((high - low) / 2);
            ResponseLog response = Ended[middle];
            if (sequence < response.FirstSequence)
            {
                high = middle - 1;
            }
            else if (sequence > response.LastSequence)
            {
                low = middle + 1;
            }
            else
            {
                return response;
            }
        }

        return null;
    }

    /// <summary>The oldest retained sequence, or 0 when nothing is retained.</summary>
    public long OldestRetainedSequence => Ended.Count > 0 ? Ended[0].FirstSequence : Active?.FirstSequence ?? 0;
}
