using System.Globalization;
using System.Text;
using StackExchange.Redis;

namespace StreamingCore.Redis.Internal;

/// <summary>
/// How events are written in Redis: a stream entry's value <c>K|ticks|start|payload</c> (kind letter, UTC ticks, the
/// first sequence of the event's response, then the text, error or usage), and a live message that carries a batch:
/// the epoch, then per event its sequence and length-prefixed value.
/// </summary>
internal static class EventCodec
{
    /// <summary>The stream entry's one field.</summary>
    public const string ValueField = "v";

    public static string Encode(in ChatStreamingEvent published, long responseStart)
    {
        char kind = published.Kind switch
        {
            ChatStreamingEventKind.Started => 'S',
            ChatStreamingEventKind.Delta => 'D',
            ChatStreamingEventKind.Finished => 'F',
            _ => 'X',
        };
        string payload = published.Kind switch
        {
            ChatStreamingEventKind.Delta => published.Text!,
            ChatStreamingEventKind.Failed => published.Error!,
            ChatStreamingEventKind.Finished when published.Usage is { } usage
                => string.Create(CultureInfo.InvariantCulture, $"{usage.InputTokens},{usage.OutputTokens}"),
            _ => string.Empty,
        };
        return string.Create(CultureInfo.InvariantCulture, $"{kind}|{published.Timestamp.UtcTicks}|{responseStart}|{payload}");
    }

    /// <summary>Rebuilds an event from a stream entry's value.</summary>
    /// <exception cref="FormatException">The value was not written by <see cref="Encode"/>.</exception>
    public static (ChatStreamingEvent Event, long ResponseStart) Decode(string conversationId, string epoch, long sequence, string value)
    {
        ReadOnlySpan<char> rest = value;
        if (rest.Length < 2 || rest[1] != '|')
        {
            throw new FormatException($"Not a StreamingCore event entry: '{Shorten(value)}'.");
        }

        char kind = rest[0];
        rest = rest[2..];
        long ticks = long.Parse(Next(ref rest), NumberStyles.None, CultureInfo.InvariantCulture);
        long start = long.Parse(Next(ref rest), NumberStyles.None, CultureInfo.InvariantCulture);
        string payload = rest.ToString();
        var position = new ChatStreamPosition(epoch, sequence);
        var timestamp = new DateTimeOffset(ticks, TimeSpan.Zero);
        ChatStreamingEvent e = kind switch
        {
            'S' => ChatStreamingEvent.FromPublished(ChatStreamingEventKind.Started, conversationId, position, timestamp),
            'D' => ChatStreamingEvent.FromPublished(ChatStreamingEventKind.Delta, conversationId, position, timestamp, text: payload),
            'F' => ChatStreamingEvent.FromPublished(ChatStreamingEventKind.Finished, conversationId, position, timestamp, usage: ParseUsage(payload)),
            'X' => ChatStreamingEvent.FromPublished(ChatStreamingEventKind.Failed, conversationId, position, timestamp, error: payload),
            _ => throw new FormatException($"Unknown event kind '{kind}' in '{Shorten(value)}'."),
        };
        return (e, start);
    }

    /// <summary>The stream entry id of an event: its sequence (<c>seq-0</c>).</summary>
    public static string EntryId(long sequence) => sequence.ToString(CultureInfo.InvariantCulture) + "-0";

    /// <summary>The sequence a stream entry id names.</summary>
    public static long SequenceOf(RedisValue entryId)
    {
        string text = entryId!;
        int dash = text.IndexOf('-', StringComparison.Ordinal);
        return long.Parse(dash < 0 ? text : text[..dash], NumberStyles.None, CultureInfo.InvariantCulture);
    }

    /// <summary>Rebuilds an event from a stream entry (its id is its sequence).</summary>
    /// <exception cref="FormatException">The entry was not written by this codec.</exception>
    public static (ChatStreamingEvent Event, long ResponseStart) Decode(string conversationId, string epoch, StreamEntry entry)
        => Decode(conversationId, epoch, SequenceOf(entry.Id), entry[ValueField]!);

    /// <summary>A live message for events of one conversation, in sequence order.</summary>
    public static string EncodeMessage(string epoch, IReadOnlyList<(long Sequence, string Value)> entries)
    {
        var builder = new StringBuilder(epoch.Length + 1 + (entries.Count * 32));
        builder.Append(epoch).Append('\n');
        foreach ((long sequence, string value) in entries)
        {
            builder.Append(sequence.ToString(CultureInfo.InvariantCulture)).Append('\n')
                .Append(value.Length.ToString(CultureInfo.InvariantCulture)).Append('\n')
                .Append(value);
        }

        return builder.ToString();
    }

    /// <summary>Reads a live message back: its epoch and its entries.</summary>
    /// <exception cref="FormatException">The message was not written by <see cref="EncodeMessage"/> (or the takeover script).</exception>
    public static (string Epoch, List<(long Sequence, string Value)> Entries) DecodeMessage(string message)
    {
        ReadOnlySpan<char> rest = message;
        int newline = rest.IndexOf('\n');
        if (newline <= 0)
        {
            throw new FormatException("A live message starts with its epoch and a newline.");
        }

        string epoch = rest[..newline].ToString();
        rest = rest[(newline + 1)..];
        var entries = new List<(long, string)>();
        while (!rest.IsEmpty)
        {
            long sequence = long.Parse(Line(ref rest), NumberStyles.None, CultureInfo.InvariantCulture);
            int length = int.Parse(Line(ref rest), NumberStyles.None, CultureInfo.InvariantCulture);
            if (length > rest.Length)
            {
                throw new FormatException("A live message's entry is shorter than its length.");
            }

            entries.Add((sequence, rest[..length].ToString()));
            rest = rest[length..];
        }

        return (epoch, entries);
    }

    private static ReadOnlySpan<char> Next(ref ReadOnlySpan<char> rest)
    {
        int bar = rest.IndexOf('|');
        if (bar < 0)
        {
            throw new FormatException("A StreamingCore event entry has four parts separated by '|'.");
        }

        ReadOnlySpan<char> part = rest[..bar];
        rest = rest[(bar + 1)..];
        return part;
    }

    private static ReadOnlySpan<char> Line(ref ReadOnlySpan<char> rest)
    {
        int newline = rest.IndexOf('\n');
        if (newline < 0)
        {
            throw new FormatException("A live message's entry is cut short.");
        }

        ReadOnlySpan<char> part = rest[..newline];
        rest = rest[(newline + 1)..];
        return part;
    }

    private static TokenUsage? ParseUsage(string payload)
    {
        if (payload.Length == 0)
        {
            return null;
        }

        int comma = payload.IndexOf(',', StringComparison.Ordinal);
        return new TokenUsage(
            int.Parse(payload.AsSpan(0, comma), NumberStyles.None, CultureInfo.InvariantCulture),
            int.Parse(payload.AsSpan(comma + 1), NumberStyles.None, CultureInfo.InvariantCulture));
    }

    private static string Shorten(string value) => value.Length <= 40 ? value : value[..40] + "…";
}
