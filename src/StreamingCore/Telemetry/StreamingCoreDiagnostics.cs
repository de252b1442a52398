namespace StreamingCore;

/// <summary>
/// The names StreamingCore's telemetry uses: the <see cref="System.Diagnostics.Metrics.Meter"/>, the
/// <see cref="System.Diagnostics.ActivitySource"/>, the <see cref="System.Diagnostics.Tracing.EventSource"/>,
/// every instrument and every tag. Use them to subscribe, for example
/// <c>metrics.AddMeter(StreamingCoreDiagnostics.MeterName)</c> and <c>tracing.AddSource(StreamingCoreDiagnostics.ActivitySourceName)</c>.
/// </summary>
public static class StreamingCoreDiagnostics
{
    /// <summary>The name of the meter: <c>StreamingCore</c>.</summary>
    public const string MeterName = "StreamingCore";

    /// <summary>The name of the activity source: <c>StreamingCore</c>.</summary>
    public const string ActivitySourceName = "StreamingCore";

    /// <summary>The name of the event source: <c>StreamingCore</c>.</summary>
    public const string EventSourceName = "StreamingCore";

    /// <summary>The name of the activity that spans one response, from Started to its terminal event.</summary>
    public const string ResponseActivityName = "chat.response";

    /// <summary>The name of the activity event recorded at a response's first delta.</summary>
    public const string FirstDeltaEventName = "first_delta";

    /// <summary>Observable up-down counter, <c>{response}</c>: responses in progress, read from the store when collected.</summary>
    public const string ActiveResponses = "streamingcore.responses.active";

    /// <summary>Counter, <c>{delta}</c>: published deltas.</summary>
    public const string Deltas = "streamingcore.deltas";

    /// <summary>Counter, <c>{character}</c>: characters of published text.</summary>
    public const string Characters = "streamingcore.characters";

    /// <summary>Counter, <c>{event}</c>: events dropped from subscriber queues, tagged with the <see cref="OverflowStrategyTag"/>.</summary>
    public const string DroppedEvents = "streamingcore.events.dropped";

    /// <summary>Counter, <c>{event}</c>: publishes refused by a rule, tagged with <see cref="ErrorTypeTag"/>.</summary>
    public const string RejectedEvents = "streamingcore.events.rejected";

    /// <summary>Observable up-down counter, <c>{subscriber}</c>: live subscriptions and <see cref="IChatStreamingStore.Events"/> observers, read from the store when collected.</summary>
    public const string Subscribers = "streamingcore.subscribers";

    /// <summary>Histogram, seconds: response duration from Started to the terminal event, tagged with <see cref="OutcomeTag"/>.</summary>
    public const string ResponseDuration = "streamingcore.response.duration";

    /// <summary>Histogram, seconds: time from Started to the first delta (OpenTelemetry's <c>gen_ai.client.operation.time_to_first_chunk</c>, measured at the store).</summary>
    public const string TimeToFirstDelta = "streamingcore.response.time_to_first_delta";

    /// <summary>Histogram, seconds: time between consecutive deltas of a response (OpenTelemetry's <c>gen_ai.client.operation.time_per_output_chunk</c>, measured at the store).</summary>
    public const string TimePerDelta = "streamingcore.response.time_per_delta";

    /// <summary>Tag: how a response ended (<c>finished</c>, <c>failed</c>, <c>idle_timeout</c>).</summary>
    public const string OutcomeTag = "streamingcore.response.outcome";

    /// <summary>Tag: the rule that refused a publish (a <see cref="ChatStreamingError"/> name, in snake case).</summary>
    public const string ErrorTypeTag = "error.type";

    /// <summary>Tag: the overflow strategy that dropped an event (<c>drop_oldest</c>, <c>drop_newest</c>).</summary>
    public const string OverflowStrategyTag = "streamingcore.overflow_strategy";

    /// <summary>Activity tag: the conversation id (OpenTelemetry's GenAI attribute).</summary>
    public const string ConversationIdTag = "gen_ai.conversation.id";

    /// <summary>Activity tag: the response's first sequence number.</summary>
    public const string StartSequenceTag = "streamingcore.response.start_sequence";

    /// <summary>Activity tag: the number of deltas.</summary>
    public const string DeltaCountTag = "streamingcore.response.deltas";

    /// <summary>Activity tag: the number of characters.</summary>
    public const string CharacterCountTag = "streamingcore.response.characters";

    /// <summary>Activity tag: input tokens reported by Finished (OpenTelemetry's GenAI attribute).</summary>
    public const string InputTokensTag = "gen_ai.usage.input_tokens";

    /// <summary>Activity tag: output tokens reported by Finished (OpenTelemetry's GenAI attribute).</summary>
    public const string OutputTokensTag = "gen_ai.usage.output_tokens";

    /// <summary>
    /// The histogram bucket boundaries in seconds that OpenTelemetry's GenAI conventions advise for streaming
    /// timings; every StreamingCore histogram advertises them.
    /// </summary>
    internal static readonly double[] SecondsBuckets = [0.01, 0.02, 0.04, 0.08, 0.16, 0.32, 0.64, 1.28, 2.56, 5.12, 10.24, 20.48, 40.96, 81.92];
}
