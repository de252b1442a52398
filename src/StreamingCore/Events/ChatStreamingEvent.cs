using System.Diagnostics;

namespace StreamingCore;

/// <summary>
/// One event of one streamed chat response. Create it with <see cref="Started"/>, <see cref="Delta"/>,
/// <see cref="Finished"/> or <see cref="Failed"/>; the store stamps <see cref="Sequence"/> and
/// <see cref="Timestamp"/> when it is published.
/// </summary>
/// <remarks>
/// A readonly struct of four words (32 bytes), so publishing a delta allocates nothing beyond its text.
/// The kind-specific payload (text, usage or error) shares one field, and the kind shares a word with the
/// timestamp (as <see cref="DateTime"/> keeps its kind in the top bits of its ticks).
/// </remarks>
[DebuggerDisplay("{Kind} #{Sequence} {ConversationId,nq}")]
public readonly record struct ChatStreamingEvent
{
    // Ticks need 62 bits (DateTime.MaxValue.Ticks < 2^62); the top two hold the kind.
    private const int KindShift = 62;
    private const long TicksMask = (1L << KindShift) - 1;

    // Delta: the text (string); Finished: the usage (TokenUsage or null); Failed: the error (string).
    private readonly object? _payload;

    // The kind in the top two bits; below them the UTC ticks of the store's clock when published (0 until then).
    private readonly long _kindAndTicks;

    private ChatStreamingEvent(string conversationId, ChatStreamingEventKind kind, object? payload, long sequence, long utcTicks)
    {
        ConversationId = conversationId;
        _payload = payload;
        Sequence = sequence;
        _kindAndTicks = ((long)kind << KindShift) | utcTicks;
    }

    /// <summary>Gets the conversation this event belongs to.</summary>
    public string ConversationId { get; }

    /// <summary>Gets the kind of the event.</summary>
    public ChatStreamingEventKind Kind => (ChatStreamingEventKind)((ulong)_kindAndTicks >> KindShift);

    /// <summary>Gets the text of a <see cref="ChatStreamingEventKind.Delta"/>; <see langword="null"/> for other kinds.</summary>
    public string? Text => Kind == ChatStreamingEventKind.Delta ? (string?)_payload : null;

    /// <summary>Gets the token usage of a <see cref="ChatStreamingEventKind.Finished"/> event, if the producer reported it.</summary>
    public TokenUsage? Usage => _payload as TokenUsage;

    /// <summary>Gets the error of a <see cref="ChatStreamingEventKind.Failed"/> event; <see langword="null"/> for other kinds.</summary>
    public string? Error => Kind == ChatStreamingEventKind.Failed ? (string?)_payload : null;

    /// <summary>
    /// Gets the event's position in its conversation: 1 for the first <c>Started</c>, then +1 per event,
    /// continuing across the conversation's responses. 0 until published. This is the event id on the wire
    /// and what <see cref="IChatStreamingStore.SubscribeAsync"/> resumes after.
    /// </summary>
    public long Sequence { get; }

    /// <summary>Gets when the store published the event (UTC, from the store's <see cref="TimeProvider"/>); <see cref="DateTimeOffset.MinValue"/> until published.</summary>
    public DateTimeOffset Timestamp => new(_kindAndTicks & TicksMask, TimeSpan.Zero);

    /// <summary>Gets a value indicating whether this event ends its response (<c>Finished</c> or <c>Failed</c>).</summary>
    public bool IsTerminal => Kind is ChatStreamingEventKind.Finished or ChatStreamingEventKind.Failed;

    /// <summary>Creates the event that begins a response.</summary>
    /// <param name="conversationId">The conversation: 1 to 256 characters, no control characters.</param>
    /// <returns>An unpublished event.</returns>
    /// <exception cref="ArgumentException"><paramref name="conversationId"/> is null, empty, white space, too long or has control characters.</exception>
    public static ChatStreamingEvent Started(string conversationId)
    {
        Guard.ConversationId(conversationId);
        return new(conversationId, ChatStreamingEventKind.Started, null, 0, 0);
    }

    /// <summary>Creates a piece of response text.</summary>
    /// <param name="conversationId">The conversation: 1 to 256 characters, no control characters.</param>
    /// <param name="text">The text; may be empty, not null.</param>
    /// <returns>An unpublished event.</returns>
    /// <exception cref="ArgumentException"><paramref name="conversationId"/> is invalid.</exception>
    /// <exception cref="ArgumentNullException"><paramref name="text"/> is null.</exception>
    public static ChatStreamingEvent Delta(string conversationId, string text)
    {
        Guard.ConversationId(conversationId);
        Guard.NotNull(text);
        return new(conversationId, ChatStreamingEventKind.Delta, text, 0, 0);
    }

    /// <summary>Creates the event that completes a response normally.</summary>
    /// <param name="conversationId">The conversation: 1 to 256 characters, no control characters.</param>
    /// <param name="usage">The token usage, if the model reported it.</param>
    /// <returns>An unpublished event.</returns>
    /// <exception cref="ArgumentException"><paramref name="conversationId"/> is invalid.</exception>
    public static ChatStreamingEvent Finished(string conversationId, TokenUsage? usage = null)
    {
        Guard.ConversationId(conversationId);
        return new(conversationId, ChatStreamingEventKind.Finished, usage, 0, 0);
    }

    /// <summary>Creates the event that ends a response with an error.</summary>
    /// <param name="conversationId">The conversation: 1 to 256 characters, no control characters.</param>
    /// <param name="error">What went wrong; not null, empty or white space.</param>
    /// <returns>An unpublished event.</returns>
    /// <exception cref="ArgumentException"><paramref name="conversationId"/> or <paramref name="error"/> is invalid.</exception>
    public static ChatStreamingEvent Failed(string conversationId, string error)
    {
        Guard.ConversationId(conversationId);
        ArgumentException.ThrowIfNullOrWhiteSpace(error);
        return new(conversationId, ChatStreamingEventKind.Failed, error, 0, 0);
    }

    /// <summary>The same event as published: with its sequence and timestamp.</summary>
    internal ChatStreamingEvent Stamp(long sequence, DateTimeOffset timestamp)
        => new(ConversationId, Kind, _payload, sequence, timestamp.UtcTicks);

    /// <summary>A delta holding this delta's text followed by <paramref name="later"/>'s, carrying the later one's sequence and time.</summary>
    internal ChatStreamingEvent Append(in ChatStreamingEvent later)
    {
        Debug.Assert(Kind == ChatStreamingEventKind.Delta && later.Kind == ChatStreamingEventKind.Delta, "Only deltas are appended.");
        return new(ConversationId, ChatStreamingEventKind.Delta, string.Concat(Text, later.Text), later.Sequence, later._kindAndTicks & TicksMask);
    }

    /// <summary>A published event rebuilt from its parts (the retained log on replay, the coalescing operators).</summary>
    internal static ChatStreamingEvent Restore(string conversationId, ChatStreamingEventKind kind, object? payload, long sequence, long utcTicks)
        => new(conversationId, kind, payload, sequence, utcTicks);

    /// <summary>The payload field as it is: the text, the usage or the error.</summary>
    internal object? Payload => _payload;

    /// <summary>The UTC ticks of <see cref="Timestamp"/>.</summary>
    internal long UtcTicks => _kindAndTicks & TicksMask;
}
