using System.Diagnostics;
using System.Diagnostics.Metrics;
using System.Diagnostics.Tracing;
using Microsoft.Extensions.Logging;

namespace StreamingCore;

/// <summary>
/// Records what the store does as metrics, activities, EventSource events and logs. Every path checks
/// first whether anything listens, so with no listener the cost is a flag check per instrument.
/// </summary>
/// <remarks>
/// Listeners are other people's code running inside a publish (a meter listener's callback, an activity listener, a
/// logger provider). Each entry point catches what they throw, counts it and logs the first one, so telemetry can never
/// leave a publish half done. Levels (active responses, subscribers) are observable instruments read from the store.
/// </remarks>
internal sealed class ChatStreamingTelemetry
{
    // The meter used when no IMeterFactory is given; shared so that listeners find one "StreamingCore" meter.
    private static readonly Meter s_sharedMeter = new(StreamingCoreDiagnostics.MeterName, typeof(ChatStreamingTelemetry).Assembly.GetName().Version?.ToString());

    private static readonly ActivitySource s_activitySource = new(StreamingCoreDiagnostics.ActivitySourceName, typeof(ChatStreamingTelemetry).Assembly.GetName().Version?.ToString());

    private static readonly InstrumentAdvice<double> s_secondsAdvice = new() { HistogramBucketBoundaries = StreamingCoreDiagnostics.SecondsBuckets };

    private readonly ILogger _logger;
    private readonly StreamingCoreEventSource _eventSource = StreamingCoreEventSource.Log;

    private readonly Counter<long> _deltas;
    private readonly Counter<long> _characters;
    private readonly Counter<long> _dropped;
    private readonly Counter<long> _rejected;

    // The meter's level instruments, which read this telemetry's store.
    private readonly StreamingLevels _levels;

    // Exceptions thrown by listeners and loggers, caught here.
    private long _failures;
    private readonly Histogram<double> _duration;
    private readonly Histogram<double> _timeToFirstDelta;
    private readonly Histogram<double> _timePerDelta;

    public ChatStreamingTelemetry(IMeterFactory? meterFactory, ILogger logger)
    {
        _logger = logger;
        Meter meter = meterFactory?.Create(new MeterOptions(StreamingCoreDiagnostics.MeterName)) ?? s_sharedMeter;
        _levels = StreamingLevels.For(meter);
        _deltas = meter.CreateCounter<long>(StreamingCoreDiagnostics.Deltas, "{delta}", "Published deltas.");
        _characters = meter.CreateCounter<long>(StreamingCoreDiagnostics.Characters, "{character}", "Characters of published text.");
        _dropped = meter.CreateCounter<long>(StreamingCoreDiagnostics.DroppedEvents, "{event}", "Events dropped from full subscriber queues.");
        _rejected = meter.CreateCounter<long>(StreamingCoreDiagnostics.RejectedEvents, "{event}", "Publishes refused by a lifecycle rule or limit.");
        _duration = meter.CreateHistogram(StreamingCoreDiagnostics.ResponseDuration, "s", "Duration of a response from Started to its terminal event.", null, s_secondsAdvice);
        _timeToFirstDelta = meter.CreateHistogram(StreamingCoreDiagnostics.TimeToFirstDelta, "s", "Time from Started to the first delta.", null, s_secondsAdvice);
        _timePerDelta = meter.CreateHistogram(StreamingCoreDiagnostics.TimePerDelta, "s", "Time between consecutive deltas of a response.", null, s_secondsAdvice);
    }

    /// <summary>Gets how many exceptions listeners and loggers threw into the store.</summary>
    public long FailureCount => Interlocked.Read(ref _failures);

    /// <summary>Starts reporting a store's levels.</summary>
    public void Attach(DefaultChatStreamingStore store) => _levels.Add(store);

    /// <summary>Stops reporting a store's levels (it is disposed: they are zero).</summary>
    public void Detach(DefaultChatStreamingStore store) => _levels.Remove(store);

    private void OnFailure(Exception exception)
    {
        if (Interlocked.Increment(ref _failures) != 1)
        {
            return;
        }

        try
        {
            Log.TelemetryFailed(_logger, exception);
        }
        catch (Exception)
        {
            // The logger itself may be what throws; the count still says it happened.
        }
    }

    public void ResponseStarted(ResponseLog response, string conversationId)
    {
        try
        {
            StartActivity(response, conversationId);
            if (_eventSource.IsEnabled())
            {
                _eventSource.StreamStart(conversationId, response.FirstSequence);
            }

            Log.ResponseStarted(_logger, conversationId, response.FirstSequence);
        }
        catch (Exception ex)
        {
            OnFailure(ex);
        }
    }

    private static void StartActivity(ResponseLog response, string conversationId)
    {
        if (!s_activitySource.HasListeners())
        {
            return;
        }

        // The response outlives this call: start it as a child of the producer's activity, then give the producer its
        // own activity back, also when a listener throws from inside StartActivity.
        Activity? producer = Activity.Current;
        try
        {
            Activity? activity = s_activitySource.StartActivity(StreamingCoreDiagnostics.ResponseActivityName, ActivityKind.Producer);
            if (activity is not null)
            {
                activity.SetStartTime(response.StartedAt.UtcDateTime);
                activity.SetTag(StreamingCoreDiagnostics.ConversationIdTag, conversationId);
                activity.SetTag(StreamingCoreDiagnostics.StartSequenceTag, response.FirstSequence);
                response.Activity = activity;
            }
        }
        finally
        {
            Activity.Current = producer;
        }
    }

    public void DeltaPublished(ResponseLog response, in ChatStreamingEvent delta)
    {
        try
        {
            RecordDelta(response, delta);
        }
        catch (Exception ex)
        {
            OnFailure(ex);
        }
    }

    private void RecordDelta(ResponseLog response, in ChatStreamingEvent delta)
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
        try
        {
            RecordEnd(response, conversationId, terminal);
        }
        catch (Exception ex)
        {
            OnFailure(ex);
        }
        finally
        {
            // Never leave an ended response's activity behind, whatever a listener did.
            response.Activity = null;
        }
    }

    private void RecordEnd(ResponseLog response, string conversationId, in ChatStreamingEvent terminal)
    {
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
            try
            {
                activity.SetEndTime(terminal.Timestamp.UtcDateTime);
                activity.Stop();
            }
            finally
            {
                Activity.Current = caller;
            }
        }

        if (_eventSource.IsEnabled())
        {
            _eventSource.StreamComplete(conversationId, terminal.Sequence, outcome, response.DeltaCount, response.CharacterCount, response.Duration.TotalSeconds);
        }

        Log.ResponseEnded(_logger, conversationId, response.Outcome, terminal.Sequence);
    }

    public void PublishRefused(in ChatStreamingEvent streamingEvent, ChatStreamingError error)
    {
        try
        {
            if (_rejected.Enabled)
            {
                _rejected.Add(1, new KeyValuePair<string, object?>(StreamingCoreDiagnostics.ErrorTypeTag, ErrorTypeName(error)));
            }

            Log.PublishRefused(_logger, streamingEvent.Kind, streamingEvent.ConversationId, error);
        }
        catch (Exception ex)
        {
            OnFailure(ex);
        }
    }

    public void EventDropped(in ChatStreamingEvent streamingEvent, OverflowStrategy strategy)
    {
        try
        {
            if (_dropped.Enabled)
            {
                _dropped.Add(1, new KeyValuePair<string, object?>(StreamingCoreDiagnostics.OverflowStrategyTag, strategy == OverflowStrategy.DropOldest ? "drop_oldest" : "drop_newest"));
            }

            Log.EventDropped(_logger, streamingEvent.ConversationId, streamingEvent.Sequence, streamingEvent.Kind);
        }
        catch (Exception ex)
        {
            OnFailure(ex);
        }
    }

    public void ResponseIdle(string conversationId, TimeSpan idleTimeout) => Guarded(() => Log.ResponseIdleTimeout(_logger, conversationId, idleTimeout));

    public void ResponseReleased(string conversationId, long startSequence, string reason) => Guarded(() => Log.ResponseReleased(_logger, conversationId, startSequence, reason));

    public void SubscriberCutOff(string conversationId, string reason) => Guarded(() => Log.SubscriberCutOff(_logger, conversationId, reason));

    public void ObserverFailed(Exception exception) => Guarded(() => Log.ObserverFailed(_logger, exception));

    // For the rare paths only: the lambda allocates.
    private void Guarded(Action record)
    {
        try
        {
            record();
        }
        catch (Exception ex)
        {
            OnFailure(ex);
        }
    }

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
        ChatStreamingError.WaitTimedOut => "wait_timed_out",
        ChatStreamingError.ResponseOwnedElsewhere => "response_owned_elsewhere",
        ChatStreamingError.StoreUnavailable => "store_unavailable",
        _ => error.ToString(),
    };
}
