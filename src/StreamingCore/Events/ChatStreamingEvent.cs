using System.Diagnostics;

namespace StreamingCore;

/// <summary>
/// One event of one streamed chat response. Create it with <see cref="Started"/>, <see cref="Delta"/>,
/// <see cref="Finished"/> or <see cref="Failed"/>; the store stamps <see cref="Sequence"/> and
/// <see cref="Timestamp"/> when it is published.
/// </summary>
/// <remarks>
/// A readonly struct of four words (32 bytes), so publishing a delta allocates nothing beyond its text.
/// The kind-specific payload (text, usage or error) shares one field, the kind shares a word with the
/// timestamp (as <see cref="DateTime"/> keeps its kind in the top bits of its ticks), and the conversation id
/// shares one with the epoch: an unpublished event holds the id, a published one its stream's origin (id and epoch).
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

    // Unpublished: the conversation id (string). Published: the stream's ChatStreamOrigin. Null only for default.
    private readonly object? _origin;

    private ChatStreamingEvent(object origin, ChatStreamingEventKind kind, object? payload, long sequence, long utcTicks)
    {
        _origin = origin;
        _payload = payload;
        Sequence = sequence;
        _kindAndTicks = ((long)kind << KindShift) | utcTicks;
    }

    /// <summary>Gets the conversation this event belongs to; empty only for <see langword="default"/>.</summary>
    public string ConversationId => _origin as string ?? (_origin as ChatStreamOrigin)?.ConversationId ?? string.Empty;

    /// <summary>
    /// Gets the epoch of the stream the event was published in (see <see cref="ChatStreamPosition"/>); <see langword="null"/>
    /// until published. A conversation whose state is created again gets a new epoch.
    /// </summary>
    public string? Epoch => (_origin as ChatStreamOrigin)?.Epoch;

    /// <summary>Gets where the event is in its stream, (<see cref="Epoch"/>, <see cref="Sequence"/>): what a client resumes after. <see langword="default"/> until published.</summary>
    public ChatStreamPosition Position => _origin is ChatStreamOrigin origin ? new ChatStreamPosition(origin.Epoch, Sequence) : default;

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
    /// and what <c>IChatStreamingStore.SubscribeAsync</c> resumes after (with <see cref="Epoch"/>, as <see cref="Position"/>).
    /// </summary>
    public long Sequence { get; }

    /// <summary>Gets when the store published the event (UTC, from the store's <see cref="TimeProvider"/>); <see cref="DateTimeOffset.MinValue"/> until published.</summary>
    /// <remarks>
    /// The store reads one clock per event, its <see cref="TimeProvider"/>'s monotonic timestamp, and derives the UTC time from a
    /// pair of UTC time and timestamp that it reads again at least once a second: a step of the wall clock shows in timestamps
    /// within a second, and a provider whose two clocks move together (as a test's fake clock does) gives its exact time.
    /// </remarks>
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

    /// <summary>
    /// Rebuilds an event that a store published, from its parts: for code that carries events across a process boundary
    /// (a client of the SSE endpoint, a store shared by several instances) and for tests that script what a store yields.
    /// </summary>
    /// <param name="kind">The event's kind.</param>
    /// <param name="conversationId">The conversation: 1 to 256 characters, no control characters.</param>
    /// <param name="position">Where the event is: its stream's epoch and its sequence (at least 1).</param>
    /// <param name="timestamp">When the store published it.</param>
    /// <param name="text">A delta's text (required for <see cref="ChatStreamingEventKind.Delta"/>, else null).</param>
    /// <param name="usage">A finished response's usage, if known (only for <see cref="ChatStreamingEventKind.Finished"/>).</param>
    /// <param name="error">A failure's error (required for <see cref="ChatStreamingEventKind.Failed"/>, else null).</param>
    /// <returns>The published event, equal to the one the store yielded.</returns>
    /// <exception cref="ArgumentException">An argument breaks the rule its description states (the message names it).</exception>
    public static ChatStreamingEvent FromPublished(
        ChatStreamingEventKind kind,
        string conversationId,
        ChatStreamPosition position,
        DateTimeOffset timestamp,
        string? text = null,
        TokenUsage? usage = null,
        string? error = null)
    {
        Guard.ConversationId(conversationId);
        if (position.Epoch is null || position.Sequence < 1)
        {
            throw new ArgumentException("A published event's position has an epoch and a sequence of at least 1.", nameof(position));
        }

        if (!Enum.IsDefined(kind))
        {
            throw new ArgumentOutOfRangeException(nameof(kind), kind, "Not a defined ChatStreamingEventKind.");
        }

        if ((kind == ChatStreamingEventKind.Delta) != (text is not null))
        {
            throw new ArgumentException("A Delta has a text (possibly empty) and no other kind has one.", nameof(text));
        }

        if (usage is not null && kind != ChatStreamingEventKind.Finished)
        {
            throw new ArgumentException("Only a Finished event has a usage.", nameof(usage));
        }

        if ((kind == ChatStreamingEventKind.Failed) != !string.IsNullOrWhiteSpace(error))
        {
            throw new ArgumentException("A Failed event has a non-empty error and no other kind has one.", nameof(error));
        }

        object? payload = kind switch
        {
            ChatStreamingEventKind.Delta => text,
            ChatStreamingEventKind.Finished => usage,
            ChatStreamingEventKind.Failed => error,
            _ => null,
        };
        return new(new ChatStreamOrigin(conversationId, position.Epoch), kind, payload, position.Sequence, timestamp.UtcTicks);
    }

    /// <summary>The same event as published: in its stream, with its sequence and timestamp.</summary>
    internal ChatStreamingEvent Stamp(ChatStreamOrigin origin, long sequence, DateTimeOffset timestamp)
        => new(origin, Kind, _payload, sequence, timestamp.UtcTicks);

    /// <summary>The same event as published, at a time given in UTC ticks (the store's publish path: no DateTimeOffset to build).</summary>
    internal ChatStreamingEvent StampAt(ChatStreamOrigin origin, long sequence, long utcTicks)
        => new(origin, Kind, _payload, sequence, utcTicks);

    /// <summary>A delta holding this delta's text followed by <paramref name="later"/>'s, carrying the later one's sequence and time.</summary>
    internal ChatStreamingEvent Append(in ChatStreamingEvent later)
    {
        Debug.Assert(Kind == ChatStreamingEventKind.Delta && later.Kind == ChatStreamingEventKind.Delta, "Only deltas are appended.");
        return new(_origin!, ChatStreamingEventKind.Delta, string.Concat(Text, later.Text), later.Sequence, later._kindAndTicks & TicksMask);
    }

    /// <summary>
    /// A published event rebuilt from its parts (the retained log on replay, the coalescing operators). The origin is
    /// the stream's <see cref="ChatStreamOrigin"/>, or the conversation id of an event published without one.
    /// </summary>
    internal static ChatStreamingEvent Restore(object origin, ChatStreamingEventKind kind, object? payload, long sequence, long utcTicks)
        => new(origin, kind, payload, sequence, utcTicks);

    /// <summary>The conversation id (unpublished) or the stream's origin (published); null only for default.</summary>
    internal object? Origin => _origin;

    /// <summary>Whether the event came from a factory (default(ChatStreamingEvent) did not).</summary>
    internal bool IsCreated => _origin is not null;

    /// <summary>The payload field as it is: the text, the usage or the error.</summary>
    internal object? Payload => _payload;

    /// <summary>The UTC ticks of <see cref="Timestamp"/>.</summary>
    internal long UtcTicks => _kindAndTicks & TicksMask;
}
