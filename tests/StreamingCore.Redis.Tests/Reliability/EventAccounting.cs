using System.Globalization;
using System.Text;

namespace StreamingCore.Redis.Tests.Reliability;

/// <summary>
/// Compares what one consumer received (across all its subscriptions and resumes) with what the producers published in
/// its conversation, and counts every way they can differ. A delta that a subscriber queue merged (Coalesce) carries the
/// sequence of the last delta it holds and their text concatenated; it covers those deltas and is not a loss.
/// </summary>
internal sealed class EventAccounting
{
    /// <summary>Published events that this consumer received (directly or inside a merged delta).</summary>
    public long Covered { get; private set; }

    /// <summary>Published deltas that reached the consumer merged into a later one.</summary>
    public long Coalesced { get; private set; }

    /// <summary>Published events the consumer never received, or skipped over with a jump in sequence.</summary>
    public long Lost { get; private set; }

    /// <summary>Received events whose sequence the consumer had received already.</summary>
    public long Duplicated { get; private set; }

    /// <summary>Received events whose sequence is below one received before it and that were not received before (counted as lost at the jump too).</summary>
    public long Reordered { get; private set; }

    /// <summary>Received events that differ from the published event of their sequence (kind, text, error, usage, epoch, time) or that nobody published.</summary>
    public long Altered { get; private set; }

    /// <summary>The first difference found, for the failure message; null when there is none.</summary>
    public string? FirstProblem { get; private set; }

    /// <summary>True when nothing was lost, duplicated, reordered or altered.</summary>
    public bool Exact => Lost == 0 && Duplicated == 0 && Reordered == 0 && Altered == 0;

    /// <summary>Accounts for one consumer.</summary>
    /// <param name="published">Every event published in the conversation, in sequence order.</param>
    /// <param name="received">What the consumer received, in the order it received it.</param>
    public static EventAccounting Check(IReadOnlyList<ChatStreamingEvent> published, IReadOnlyList<ChatStreamingEvent> received)
    {
        var accounting = new EventAccounting();
        var indexOf = new Dictionary<long, int>(published.Count);
        for (int i = 0; i < published.Count; i++)
        {
            indexOf[published[i].Sequence] = i;
        }

        var seen = new HashSet<long>();
        int next = 0;
        long last = 0;
        for (int r = 0; r < received.Count; r++)
        {
            ChatStreamingEvent e = received[r];
            if (e.Sequence <= last)
            {
                if (seen.Contains(e.Sequence))
                {
                    accounting.Duplicated++;
                    accounting.Note($"received #{r}: sequence {e.Sequence} ({e.Kind}) a second time");
                }
                else
                {
                    accounting.Reordered++;
                    accounting.Note($"received #{r}: sequence {e.Sequence} ({e.Kind}) after {last}");
                }

                continue;
            }

            seen.Add(e.Sequence);
            last = e.Sequence;
            if (!indexOf.TryGetValue(e.Sequence, out int index))
            {
                accounting.Altered++;
                accounting.Note($"received #{r}: sequence {e.Sequence} ({e.Kind} '{e.Text ?? e.Error}') was never published");
                continue;
            }

            string? expectedText = published[index].Text;
            if (index > next)
            {
                // A jump: either a merged delta that holds the skipped deltas' text, or a hole.
                if (e.Kind == ChatStreamingEventKind.Delta && TryMerge(published, next, index, out string? merged) && merged == e.Text)
                {
                    accounting.Coalesced += index - next;
                    accounting.Covered += index - next;
                    expectedText = merged;
                }
                else
                {
                    accounting.Lost += index - next;
                    accounting.Note($"received #{r}: sequence {e.Sequence} ({e.Kind}) after {(next == 0 ? 0 : published[next - 1].Sequence)}: {index - next} event(s) missing");
                }
            }

            if (!Same(published[index], e, expectedText, compareTime: expectedText == published[index].Text))
            {
                accounting.Altered++;
                accounting.Note($"received #{r}: sequence {e.Sequence} is {Describe(e)}, published {Describe(published[index])}");
            }

            accounting.Covered++;
            next = index + 1;
        }

        if (next < published.Count)
        {
            accounting.Lost += published.Count - next;
            accounting.Note($"{published.Count - next} event(s) from sequence {published[next].Sequence} never received");
        }

        return accounting;
    }

    /// <summary>The text of published[from..to] when they are all deltas; false when a Started or terminal is among them.</summary>
    private static bool TryMerge(IReadOnlyList<ChatStreamingEvent> published, int from, int to, out string? merged)
    {
        var builder = new StringBuilder();
        for (int i = from; i <= to; i++)
        {
            if (published[i].Kind != ChatStreamingEventKind.Delta)
            {
                merged = null;
                return false;
            }

            builder.Append(published[i].Text);
        }

        merged = builder.ToString();
        return true;
    }

    // Field by field: a mirrored event is rebuilt from Redis, so it is equal in value but not the same object graph.
    private static bool Same(ChatStreamingEvent published, ChatStreamingEvent received, string? text, bool compareTime)
        => published.Kind == received.Kind
        && published.Sequence == received.Sequence
        && string.Equals(published.ConversationId, received.ConversationId, StringComparison.Ordinal)
        && string.Equals(published.Epoch, received.Epoch, StringComparison.Ordinal)
        && string.Equals(text, received.Text, StringComparison.Ordinal)
        && string.Equals(published.Error, received.Error, StringComparison.Ordinal)
        && Equals(published.Usage, received.Usage)
        && (!compareTime || published.Timestamp == received.Timestamp);

    private static string Describe(ChatStreamingEvent e) => string.Create(
        CultureInfo.InvariantCulture,
        $"{e.Kind} {e.Epoch}:{e.Sequence} text {e.Text?.Length ?? -1} chars error '{e.Error}' usage {e.Usage} at {e.Timestamp:O}");

    private void Note(string problem) => FirstProblem ??= problem;
}
