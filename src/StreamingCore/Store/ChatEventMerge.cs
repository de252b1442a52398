namespace StreamingCore;

/// <summary>How the chat layer's subscriber queues coalesce and which events they may drop.</summary>
internal static class ChatEventMerge
{
    /// <summary>
    /// Consecutive deltas of one conversation merge (the text concatenated, the later sequence kept, so a resume
    /// after the merged delta stays exact). Events of other conversations are passed over (the Events queue
    /// mixes conversations); a Started, Finished or Failed of the same conversation blocks, because merging
    /// past it would reorder. Only a delta can merge, so anything else stops the scan at once: a Started must not walk
    /// a mixed queue full of other conversations' events.
    /// </summary>
    public static MergeResult Merge(ChatStreamingEvent queued, ChatStreamingEvent incoming, out ChatStreamingEvent merged)
    {
        merged = default;
        if (incoming.Kind != ChatStreamingEventKind.Delta)
        {
            return MergeResult.Blocked;
        }

        if (!string.Equals(queued.ConversationId, incoming.ConversationId, StringComparison.Ordinal))
        {
            return MergeResult.Unrelated;
        }

        if (queued.Kind != ChatStreamingEventKind.Delta
            || incoming.Kind != ChatStreamingEventKind.Delta
            || queued.Text!.Length + incoming.Text!.Length > ChatStreamingConstants.MaxCoalescedDeltaLength)
        {
            return MergeResult.Blocked;
        }

        merged = queued.Append(incoming);
        return MergeResult.Merged;
    }

    /// <summary>Only deltas may be dropped: a subscriber always sees where a response starts and ends.</summary>
    public static bool CanDrop(ChatStreamingEvent streamingEvent) => streamingEvent.Kind == ChatStreamingEventKind.Delta;
}
