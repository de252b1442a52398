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
            || LengthOf(queued) + LengthOf(incoming) > ChatStreamingConstants.MaxCoalescedDeltaLength)
        {
            return MergeResult.Blocked;
        }

        // The queued delta collects the text in a buffer that grows in place (see CoalescedText); the reader makes it a string.
        if (queued.Payload is not CoalescedText text)
        {
            text = new CoalescedText((string)queued.Payload!, LengthOf(queued) + LengthOf(incoming));
        }

        Append(text, incoming);
        merged = ChatStreamingEvent.Restore(queued.Origin!, ChatStreamingEventKind.Delta, text, incoming.Sequence, incoming.UtcTicks);
        return MergeResult.Merged;
    }

    /// <summary>
    /// The event as a subscriber receives it: a delta that was coalesced in a queue gets its text as a string. Whoever reads a
    /// queue that <see cref="Merge"/> merges into calls this on every event it takes out.
    /// </summary>
    public static ChatStreamingEvent Materialize(in ChatStreamingEvent streamingEvent)
        => streamingEvent.Payload is CoalescedText text
            ? ChatStreamingEvent.Restore(streamingEvent.Origin!, ChatStreamingEventKind.Delta, text.ToString(), streamingEvent.Sequence, streamingEvent.UtcTicks)
            : streamingEvent;

    private static int LengthOf(in ChatStreamingEvent delta)
        => delta.Payload is CoalescedText text ? text.Length : ((string)delta.Payload!).Length;

    private static void Append(CoalescedText text, in ChatStreamingEvent delta)
    {
        if (delta.Payload is CoalescedText other)
        {
            text.Append(other.ToString());
        }
        else
        {
            text.Append((string)delta.Payload!);
        }
    }

    /// <summary>Only deltas may be dropped: a subscriber always sees where a response starts and ends.</summary>
    public static bool CanDrop(ChatStreamingEvent streamingEvent) => streamingEvent.Kind == ChatStreamingEventKind.Delta;
}
