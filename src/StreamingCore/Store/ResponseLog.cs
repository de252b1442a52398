using System.Buffers;
using System.Diagnostics;

namespace StreamingCore;

/// <summary>
/// One response of a conversation: its events, retained for replay until the retention period after it
/// ends, and its statistics. Guarded by its conversation's lock.
/// </summary>
/// <remarks>
/// The log is compact because a retained response is held for minutes: all text in one char array, and per
/// event only its time and where its text ends (12 bytes). An event's kind follows from its position (Started
/// first, the terminal event last, deltas between) and its sequence from its index, so replay rebuilds the
/// events; live subscribers get the producer's own event, never a copy. The arrays are rented from
/// <see cref="ArrayPool{T}.Shared"/> and returned when the response is released, so a store in steady state
/// allocates nothing per delta; text arrays are cleared on return, because the pool is shared with other code.
/// </remarks>
[DebuggerDisplay("{FirstSequence}..{LastSequence} {Outcome}")]
internal sealed class ResponseLog
{
    private const int InitialEvents = 16;

    // What RetainedBytes adds for the log object itself and its bookkeeping, beyond its arrays.
    private const int OverheadBytes = 256;

    // The stream the events belong to (conversation and epoch), for rebuilding them.
    private readonly object _origin;

    // The clock the timestamps below come from.
    private readonly TimeProvider _timeProvider;

    // Per event, in publish order: UTC ticks of its timestamp, and the end of its text in _text (deltas only).
    private long[] _ticks = ArrayPool<long>.Shared.Rent(InitialEvents);
    private int[] _textEnds = ArrayPool<int>.Shared.Rent(InitialEvents);

    // The text of all deltas, concatenated; empty until the first non-empty delta.
    private char[] _text = [];

    // Number of events and characters used in the arrays above.
    private int _count;

    // The terminal event's kind and payload (usage or error), once ended.
    private ChatStreamingEventKind _terminalKind;
    private object? _terminalPayload;

    // TimeProvider timestamps of the start, the first and the latest delta, and the end.
    private readonly long _startTimestamp;
    private long _firstDeltaTimestamp;
    private long _lastDeltaTimestamp;

    // The start or the delta before the latest one: where LastDeltaInterval begins.
    private long _previousDeltaTimestamp;
    private long _endTimestamp;

    public ResponseLog(Conversation conversation, ChatStreamingEvent started, long timestamp, TimeProvider timeProvider)
    {
        Conversation = conversation;
        _origin = started.Origin!;
        _timeProvider = timeProvider;
        _startTimestamp = timestamp;
        FirstSequence = started.Sequence;
        StartedAt = started.Timestamp;
        AddEvent(started.UtcTicks);
    }

    /// <summary>The conversation the response belongs to (the store-wide retention order needs it to find its lock).</summary>
    public Conversation Conversation { get; }

    public long FirstSequence { get; }

    /// <summary>True for a response another store produces and this one mirrors (through <see cref="DefaultChatStreamingStore.Replicate"/>).</summary>
    public bool IsReplica { get; init; }

    /// <summary>Events so far, Started included.</summary>
    public int EventCount => _count;

    /// <summary>About how many bytes the log holds: its arrays as rented, plus a fixed overhead.</summary>
    public long RetainedBytes => (_ticks.Length * 8L) + (_textEnds.Length * 4L) + (_text.Length * 2L) + OverheadBytes;

    /// <summary>The response's entry in the store-wide retention order while it is retained; null otherwise.</summary>
    public LinkedListNode<ResponseLog>? RetainedNode { get; set; }

    /// <summary>What <see cref="RetainedBytes"/> was when the response was added to the retained total.</summary>
    public long AccountedBytes { get; set; }

    public long LastSequence => FirstSequence + _count - 1;

    public DateTimeOffset StartedAt { get; }

    public int DeltaCount { get; private set; }

    public int CharacterCount { get; private set; }

    public TokenUsage? Usage => _terminalPayload as TokenUsage;

    public ChatResponseOutcome Outcome { get; private set; } = ChatResponseOutcome.Streaming;

    /// <summary>Ends the response as idle; null once it ended.</summary>
    public IdleMonitor? Idle { get; set; }

    /// <summary>Releases the response when retention ends; null while active.</summary>
    public ITimer? RetentionTimer { get; set; }

    /// <summary>The trace activity spanning the response, when something listens; null otherwise and once ended.</summary>
    public Activity? Activity { get; set; }

    /// <summary>For the latest delta: the time since the previous delta, or since Started for the first.</summary>
    /// <remarks>Computed when asked (only telemetry with a listener asks), not per delta.</remarks>
    public TimeSpan LastDeltaInterval => _timeProvider.GetElapsedTime(_previousDeltaTimestamp, _lastDeltaTimestamp);

    /// <summary>From Started to the terminal event (valid once ended).</summary>
    public TimeSpan Duration => _timeProvider.GetElapsedTime(_startTimestamp, _endTimestamp);

    public void Append(in ChatStreamingEvent streamingEvent, long timestamp, ChatResponseOutcome? outcome)
    {
        AddEvent(streamingEvent.UtcTicks);
        switch (streamingEvent.Kind)
        {
            case ChatStreamingEventKind.Delta:
                AppendText(streamingEvent.Text!);
                _previousDeltaTimestamp = DeltaCount == 0 ? _startTimestamp : _lastDeltaTimestamp;
                if (DeltaCount++ == 0)
                {
                    _firstDeltaTimestamp = timestamp;
                }

                _lastDeltaTimestamp = timestamp;
                break;
            case ChatStreamingEventKind.Finished:
                End(streamingEvent, outcome ?? ChatResponseOutcome.Finished, timestamp);
                break;
            case ChatStreamingEventKind.Failed:
                End(streamingEvent, outcome ?? ChatResponseOutcome.Failed, timestamp);
                break;
        }
    }

    private void AddEvent(long utcTicks)
    {
        if (_count == _ticks.Length)
        {
            Grow(ref _ticks, _count * 2, _count, clear: false);
            Grow(ref _textEnds, _count * 2, _count, clear: false);
        }

        _ticks[_count] = utcTicks;
        _textEnds[_count] = CharacterCount;
        _count++;
    }

    private void AppendText(string text)
    {
        int needed = CharacterCount + text.Length;
        if (needed > _text.Length)
        {
            Grow(ref _text, Math.Max(needed, Math.Max(64, _text.Length * 2)), CharacterCount, clear: true);
        }

        text.CopyTo(0, _text, CharacterCount, text.Length);
        CharacterCount = needed;
        _textEnds[_count - 1] = needed;
    }

    private void End(in ChatStreamingEvent terminal, ChatResponseOutcome outcome, long timestamp)
    {
        _terminalKind = terminal.Kind;
        _terminalPayload = terminal.Payload;
        Outcome = outcome;
        _endTimestamp = timestamp;
        Idle?.Dispose();
        Idle = null;
    }

    /// <summary>Returns the arrays to the pool; the log must not be read afterwards (its conversation no longer lists it).</summary>
    public void Release()
    {
        Return(ref _ticks, clear: false);
        Return(ref _textEnds, clear: false);
        Return(ref _text, clear: true);
        _count = 0;
    }

    private static void Grow<T>(ref T[] array, int minimumLength, int used, bool clear)
    {
        T[] larger = ArrayPool<T>.Shared.Rent(minimumLength);
        Array.Copy(array, larger, used);
        Return(ref array, clear);
        array = larger;
    }

    private static void Return<T>(ref T[] array, bool clear)
    {
        if (array.Length > 0)
        {
            ArrayPool<T>.Shared.Return(array, clear);
        }

        array = [];
    }

    /// <summary>The events after <paramref name="afterSequence"/>, which must lie within this response or just before it.</summary>
    public ChatStreamingEvent[] CopyAfter(long afterSequence)
    {
        int start = (int)Math.Max(0, afterSequence + 1 - FirstSequence);
        var events = new ChatStreamingEvent[_count - start];
        for (int i = start; i < _count; i++)
        {
            events[i - start] = EventAt(i);
        }

        return events;
    }

    private ChatStreamingEvent EventAt(int index)
    {
        long sequence = FirstSequence + index;
        if (index == 0)
        {
            return ChatStreamingEvent.Restore(_origin, ChatStreamingEventKind.Started, null, sequence, _ticks[0]);
        }

        if (index == _count - 1 && Outcome != ChatResponseOutcome.Streaming)
        {
            return ChatStreamingEvent.Restore(_origin, _terminalKind, _terminalPayload, sequence, _ticks[index]);
        }

        int textStart = _textEnds[index - 1];
        var text = new string(_text, textStart, _textEnds[index] - textStart);
        return ChatStreamingEvent.Restore(_origin, ChatStreamingEventKind.Delta, text, sequence, _ticks[index]);
    }

    public ChatResponseStatistics Snapshot(string conversationId)
    {
        long end = Outcome == ChatResponseOutcome.Streaming ? _timeProvider.GetTimestamp() : _endTimestamp;
        return new ChatResponseStatistics
        {
            ConversationId = conversationId,
            StartSequence = FirstSequence,
            StartedAt = StartedAt,
            TimeToFirstDelta = DeltaCount > 0 ? _timeProvider.GetElapsedTime(_startTimestamp, _firstDeltaTimestamp) : null,
            DeltaCount = DeltaCount,
            CharacterCount = CharacterCount,
            Duration = _timeProvider.GetElapsedTime(_startTimestamp, end),
            Usage = Usage,
            Outcome = Outcome,
        };
    }
}
