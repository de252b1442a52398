using System.Diagnostics;
using System.Diagnostics.Metrics;
using System.Diagnostics.Tracing;
using Microsoft.Extensions.Logging;

namespace StreamingCore;

/// <summary>
/// Records what the store does as metrics, activities, EventSource events and logs. Every path checks
/// first whether anything listens, so with no listener the cost is a flag check per instrument.
/// </summary>
internal sealed class ChatStreamingTelemetry
{
    // The meter used when no IMeterFactory is given; shared so that listeners find one "StreamingCore" meter.
    private static readonly Meter s_sharedMeter = new(StreamingCoreDiagnostics.MeterName, typeof(ChatStreamingTelemetry).Assembly.GetName().Version?.ToString());

    private static readonly ActivitySource s_activitySource = new(StreamingCoreDiagnostics.ActivitySourceName, typeof(ChatStreamingTelemetry).Assembly.GetName().Version?.ToString());

    private static readonly InstrumentAdvice<double> s_secondsAdvice = new() { HistogramBucketBoundaries = StreamingCoreDiagnostics.SecondsBuckets };

    private readonly ILogger _logger;
    private readonly StreamingCoreEventSource _eventSource = StreamingCoreEventSource.Log;

    private readonly UpDownCounter<long> _activeResponses;
    private readonly Counter<long> _deltas;
    private readonly Counter<long> _characters;
    private readonly Counter<long> _dropped;
    private readonly Counter<long> _rejected;
    private readonly UpDownCounter<long> _subscribers;
    private readonly Histogram<double> _duration;
    private readonly Histogram<double> _timeToFirstDelta;
    private readonly Histogram<double> _timePerDelta;

    public ChatStreamingTelemetry(IMeterFactory? meterFactory, ILogger logger)
    {
        _logger = logger;
        Meter meter = meterFactory?.Create(new MeterOptions(StreamingCoreDiagnostics.MeterName)) ?? s_sharedMeter;
        _activeResponses = meter.CreateUpDownCounter<long>(StreamingCoreDiagnostics.ActiveResponses, "{response}", "Responses in progress.");
        _deltas = meter.CreateCounter<long>(StreamingCoreDiagnostics.Deltas, "{delta}", "Published deltas.");
        _characters = meter.CreateCounter<long>(StreamingCoreDiagnostics.Characters, "{character}", "Characters of published text.");
        _dropped = meter.CreateCounter<long>(StreamingCoreDiagnostics.DroppedEvents, "{event}", "Events dropped from full subscriber queues.");
        _rejected = meter.CreateCounter<long>(StreamingCoreDiagnostics.RejectedEvents, "{event}", "Publishes refused by a lifecycle rule or limit.");
        _subscribers = meter.CreateUpDownCounter<long>(StreamingCoreDiagnostics.Subscribers, "{subscriber}", "Live subscriptions and Events observers.");
        _duration = meter.CreateHistogram(StreamingCoreDiagnostics.ResponseDuration, "s", "Duration of a response from Started to its terminal event.", null, s_secondsAdvice);
        _timeToFirstDelta = meter.CreateHistogram(StreamingCoreDiagnostics.TimeToFirstDelta, "s", "Time from Started to the first delta.", null, s_secondsAdvice);
        _timePerDelta = meter.CreateHistogram(StreamingCoreDiagnostics.TimePerDelta, "s", "Time between consecutive deltas of a response.", null, s_secondsAdvice);
    }

    public void ResponseStarted(ResponseLog response, string conversationId)
    {
        if (_activeResponses.Enabled)
        {
            _activeResponses.Add(1);
        }

        if (s_activitySource.HasListeners())
        {
            // The response outlives this call: start it as a child of the producer's activity, then give the
            // producer its own activity back.
            Activity? producer = Activity.Current;
            Activity? activity = s_activitySource.StartActivity(StreamingCoreDiagnostics.ResponseActivityName, ActivityKind.Producer);
            if (activity is not null)
            {
                activity.SetStartTime(response.StartedAt.UtcDateTime);
                activity.SetTag(StreamingCoreDiagnostics.ConversationIdTag, conversationId);
                activity.SetTag(StreamingCoreDiagnostics.StartSequenceTag, response.FirstSequence);
                response.Activity = activity;
                Activity.Current = producer;
            }
        }

        if (_eventSource.IsEnabled())
        {
            _eventSource.StreamStart(conversationId, response.FirstSequence);
        }

        Log.ResponseStarted(_logger, conversationId, response.FirstSequence);
    }

    public void DeltaPublished(ResponseLog response, in ChatStreamingEvent delta)
    {
        if (_deltas.Enabled)
        {
            _deltas.Add(1);
        }

        if (_characters.Enabled)
        {
            _characters.Add(delta.Text!.Length);
        }

        if (response.DeltaCount == 1)
        {
            if (_timeToFirstDelta.Enabled)
            {
                _timeToFirstDelta.Record(response.LastDeltaInterval.TotalSeconds);
            }

            response.Activity?.AddEvent(new ActivityEvent(StreamingCoreDiagnostics.FirstDeltaEventName, delta.Timestamp));
        }
        else if (_timePerDelta.Enabled)
        {
            _timePerDelta.Record(response.LastDeltaInterval.TotalSeconds);
        }

        if (_eventSource.IsEnabled(EventLevel.Verbose, EventKeywords.None))
        {
            _eventSource.StreamDelta(delta.ConversationId, delta.Sequence, delta.Text!.Length);
        }

        Log.DeltaPublished(_logger, delta.ConversationId, delta.Sequence, delta.Text!);
    }

    public void ResponseEnded(ResponseLog response, string conversationId, in ChatStreamingEvent terminal)
    {
        if (_activeResponses.Enabled)
        {
            _activeResponses.Add(-1);
        }

        string outcome = OutcomeName(response.Outcome);
        if (_duration.Enabled)
        {
            _duration.Record(response.Duration.TotalSeconds, new KeyValuePair<string, object?>(StreamingCoreDiagnostics.OutcomeTag, outcome));
        }

        if (response.Activity is { } activity)
        {
            activity.SetTag(StreamingCoreDiagnostics.DeltaCountTag, response.DeltaCount);
            activity.SetTag(StreamingCoreDiagnostics.CharacterCountTag, response.CharacterCount);
            activity.SetTag(StreamingCoreDiagnostics.OutcomeTag, outcome);
            if (response.Usage is { } usage)
            {
                activity.SetTag(StreamingCoreDiagnostics.InputTokensTag, usage.InputTokens);
                activity.SetTag(StreamingCoreDiagnostics.OutputTokensTag, usage.OutputTokens);
            }

            if (terminal.Kind == ChatStreamingEventKind.Failed)
            {
                activity.SetStatus(ActivityStatusCode.Error, terminal.Error);
            }

            // Stop() makes the activity that was current at its start current again; keep the caller's instead.
            Activity? caller = Activity.Current;
            activity.SetEndTime(terminal.Timestamp.UtcDateTime);
            activity.Stop();
            Activity.Current = caller;
            response.Activity = null;
        }

        if (_eventSource.IsEnabled())
        {
            _eventSource.StreamComplete(conversationId, terminal.Sequence, outcome, response.DeltaCount, response.CharacterCount, response.Duration.TotalSeconds);
        }

        Log.ResponseEnded(_logger, conversationId, response.Outcome, terminal.Sequence);
    }

    public void PublishRefused(in ChatStreamingEvent streamingEvent, ChatStreamingError error)
    {
        if (_rejected.Enabled)
        {
            _rejected.Add(1, new KeyValuePair<string, object?>(StreamingCoreDiagnostics.ErrorTypeTag, ErrorTypeName(error)));
        }

        Log.PublishRefused(_logger, streamingEvent.Kind, streamingEvent.ConversationId, error);
    }

    public void EventDropped(in ChatStreamingEvent streamingEvent, OverflowStrategy strategy)
    {
        if (_dropped.Enabled)
        {
            _dropped.Add(1, new KeyValuePair<string, object?>(StreamingCoreDiagnostics.OverflowStrategyTag, strategy == OverflowStrategy.DropOldest ? "drop_oldest" : "drop_newest"));
        }

        Log.EventDropped(_logger, streamingEvent.ConversationId, streamingEvent.Sequence, streamingEvent.Kind);
    }

    public void SubscriberAdded()
    {
        if (_subscribers.Enabled)
        {
            _subscribers.Add(1);
        }
    }

    public void SubscriberRemoved()
    {
        if (_subscribers.Enabled)
        {
            _subscribers.Add(-1);
        }
    }

    public void ResponseIdle(string conversationId, TimeSpan idleTimeout) => Log.ResponseIdleTimeout(_logger, conversationId, idleTimeout);

    public void ResponseReleased(string conversationId, long startSequence) => Log.ResponseReleased(_logger, conversationId, startSequence);

    public void ObserverFailed(Exception exception) => Log.ObserverFailed(_logger, exception);

    public static string OutcomeName(ChatResponseOutcome outcome) => outcome switch
    {
        ChatResponseOutcome.Finished => "finished",
        ChatResponseOutcome.Failed => "failed",
        ChatResponseOutcome.IdleTimeout => "idle_timeout",
        _ => "streaming",
    };

    public static string ErrorTypeName(ChatStreamingError error) => error switch
    {
        ChatStreamingError.ResponseNotStarted => "response_not_started",
        ChatStreamingError.ResponseAlreadyStarted => "response_already_started",
        ChatStreamingError.ResponseTooLong => "response_too_long",
        ChatStreamingError.TooManyActiveResponses => "too_many_active_responses",
        ChatStreamingError.TooManySubscribers => "too_many_subscribers",
        ChatStreamingError.SequenceNotRetained => "sequence_not_retained",
        ChatStreamingError.SubscriberOverflow => "subscriber_overflow",
        _ => error.ToString(),
    };
}
