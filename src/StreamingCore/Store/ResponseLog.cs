using System.Diagnostics;

namespace StreamingCore;

/// <summary>
/// One response of a conversation: its events, retained for replay until the retention period after it
/// ends, and its statistics. Guarded by its conversation's lock.
/// </summary>
[DebuggerDisplay("{FirstSequence}..{LastSequence} {Outcome}")]
internal sealed class ResponseLog
{
    // The events from Started on; contiguous sequences, so an event's index is its sequence - FirstSequence.
    private readonly List<ChatStreamingEvent> _events = [];

    // The clock the timestamps below come from.
    private readonly TimeProvider _timeProvider;

    // TimeProvider timestamps of the start, the first and the latest delta, and the end.
    private readonly long _startTimestamp;
    private long _firstDeltaTimestamp;
    private long _lastDeltaTimestamp;
    private long _endTimestamp;

    public ResponseLog(ChatStreamingEvent started, long timestamp, TimeProvider timeProvider)
    {
        _events.Add(started);
        _timeProvider = timeProvider;
        _startTimestamp = timestamp;
        FirstSequence = started.Sequence;
        StartedAt = started.Timestamp;
    }

    public long FirstSequence { get; }

    public long LastSequence => FirstSequence + _events.Count - 1;

    public DateTimeOffset StartedAt { get; }

    public int DeltaCount { get; private set; }

    public int CharacterCount { get; private set; }

    public TokenUsage? Usage { get; private set; }

    public ChatResponseOutcome Outcome { get; private set; } = ChatResponseOutcome.Streaming;

    /// <summary>Ends the response as idle; null once it ended.</summary>
    public IdleMonitor? Idle { get; set; }

    /// <summary>Releases the response when retention ends; null while active.</summary>
    public ITimer? RetentionTimer { get; set; }

    /// <summary>The trace activity spanning the response, when something listens; null otherwise and once ended.</summary>
    public System.Diagnostics.Activity? Activity { get; set; }

    /// <summary>For the latest delta: the time since the previous delta, or since Started for the first.</summary>
    public TimeSpan LastDeltaInterval { get; private set; }

    /// <summary>From Started to the terminal event (valid once ended).</summary>
    public TimeSpan Duration => _timeProvider.GetElapsedTime(_startTimestamp, _endTimestamp);

    public void Append(in ChatStreamingEvent streamingEvent, long timestamp, ChatResponseOutcome? outcome)
    {
        _events.Add(streamingEvent);
        switch (streamingEvent.Kind)
        {
            case ChatStreamingEventKind.Delta:
                LastDeltaInterval = _timeProvider.GetElapsedTime(DeltaCount == 0 ? _startTimestamp : _lastDeltaTimestamp, timestamp);
                if (DeltaCount++ == 0)
                {
                    _firstDeltaTimestamp = timestamp;
                }

                _lastDeltaTimestamp = timestamp;

                CharacterCount += streamingEvent.Text!.Length;
                break;
            case ChatStreamingEventKind.Finished:
                Usage = streamingEvent.Usage;
                End(outcome ?? ChatResponseOutcome.Finished, timestamp);
                break;
            case ChatStreamingEventKind.Failed:
                End(outcome ?? ChatResponseOutcome.Failed, timestamp);
                break;
        }
    }

    private void End(ChatResponseOutcome outcome, long timestamp)
    {
        Outcome = outcome;
        _endTimestamp = timestamp;
        Idle?.Dispose();
        Idle = null;
    }

    /// <summary>The events after <paramref name="afterSequence"/>, which must lie within this response or just before it.</summary>
    public ChatStreamingEvent[] CopyAfter(long afterSequence)
    {
        int start = (int)Math.Max(0, afterSequence + 1 - FirstSequence);
        return _events.GetRange(start, _events.Count - start).ToArray();
    }

    public ChatResponseStatistics Snapshot(string conversationId)
    {
        TimeProvider timeProvider = _timeProvider;
        long end = Outcome == ChatResponseOutcome.Streaming ? timeProvider.GetTimestamp() : _endTimestamp;
        return new ChatResponseStatistics
        {
            ConversationId = conversationId,
            StartSequence = FirstSequence,
            StartedAt = StartedAt,
            TimeToFirstDelta = DeltaCount > 0 ? timeProvider.GetElapsedTime(_startTimestamp, _firstDeltaTimestamp) : null,
            DeltaCount = DeltaCount,
            CharacterCount = CharacterCount,
            Duration = timeProvider.GetElapsedTime(_startTimestamp, end),
            Usage = Usage,
            Outcome = Outcome,
        };
    }
}
