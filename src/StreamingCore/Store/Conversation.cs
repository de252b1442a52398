using System.Diagnostics;

namespace StreamingCore;

/// <summary>
/// The state of one conversation in a <see cref="DefaultChatStreamingStore"/>. <see cref="Gate"/> guards all
/// of it; publishing, subscribing and eviction of one conversation are serialised by it, which is what makes
/// a resume exact (the replay snapshot and the live registration happen under the same lock).
/// </summary>
/// <remarks>
/// A conversation that only has subscribers waiting for its first response (tens of thousands of idle clients, on a server)
/// holds no sequencer, epoch or retained list: those are created with its first response.
/// </remarks>
[DebuggerDisplay("{Id,nq}: last {LastStamped}, {Subscribers.Length} subscribers")]
internal sealed class Conversation(string id, TimeProvider timeProvider)
{
    private ChatStreamOrigin? _origin;
    private ChunkSequencer<ChatStreamingEvent>? _sequencer;
    private List<ResponseLog>? _ended;

    public string Id { get; } = id;

    /// <summary>The lock: the conversation itself, which is internal, so nobody else locks it (an object fewer per conversation).</summary>
    public object Gate => this;

    /// <summary>The conversation's stream in this state's lifetime: its id and an epoch, stamped on every event.</summary>
    public ChatStreamOrigin Origin
    {
        get => _origin ??= ChatStreamOrigin.Create(Id);
        set => _origin = value;
    }

    /// <summary>Stamps the conversation's sequence numbers, continuing across its responses.</summary>
    public ChunkSequencer<ChatStreamingEvent> Sequencer => _sequencer ??= new(timeProvider: timeProvider);

    /// <summary>The last sequence stamped in this conversation, 0 before the first (without creating the sequencer).</summary>
    public long LastStamped => _sequencer?.LastStamped ?? 0;

    /// <summary>The response in progress, if any.</summary>
    public ResponseLog? Active { get; set; }

    /// <summary>Ended responses still retained, oldest first; with <see cref="Active"/> their sequences are contiguous.</summary>
    public List<ResponseLog> Ended => _ended ??= [];

    /// <summary>How many ended responses are retained (without creating the list).</summary>
    public int EndedCount => _ended?.Count ?? 0;

    /// <summary>Live subscriptions; replaced, never mutated, so the array can be iterated while it changes.</summary>
    public Subscription[] Subscribers { get; set; } = [];

    /// <summary>True once the conversation left the store; operations that raced with that retry on a new one.</summary>
    public bool Removed { get; set; }

    public bool IsUnused => Active is null && EndedCount == 0 && Subscribers.Length == 0;

    /// <summary>The conversation's current response: the active one, else the most recent retained one.</summary>
    public ResponseLog? Current => Active ?? (EndedCount > 0 ? _ended![^1] : null);

    /// <summary>The retained response holding <paramref name="sequence"/>, if any (a binary search: Ended is in sequence order).</summary>
    public ResponseLog? FindResponse(long sequence)
    {
        if (Active is { } active && sequence >= active.FirstSequence)
        {
            return sequence <= active.LastSequence ? active : null;
        }

        int low = 0;
        int high = EndedCount - 1;
        while (low <= high)
        {
            int middle = low + ((high - low) / 2);
            ResponseLog response = _ended![middle];
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
    public long OldestRetainedSequence => EndedCount > 0 ? _ended![0].FirstSequence : Active?.FirstSequence ?? 0;

    /// <summary>Ends the sequencer, if it was ever created.</summary>
    public void DisposeSequencer() => _sequencer?.Dispose();
}
