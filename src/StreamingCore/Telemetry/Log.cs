using Microsoft.Extensions.Logging;

namespace StreamingCore;

/// <summary>
/// The store's log messages (source-generated, each checks <c>IsEnabled</c> first). Lifecycle at Debug,
/// misuse and drops at Warning, evictions at Information; message text only at Trace.
/// </summary>
internal static partial class Log
{
    [LoggerMessage(1, LogLevel.Debug, "Response started in conversation {ConversationId} at sequence {Sequence}.")]
    public static partial void ResponseStarted(ILogger logger, string conversationId, long sequence);

    [LoggerMessage(2, LogLevel.Debug, "Response in conversation {ConversationId} ended as {Outcome} at sequence {Sequence}.")]
    public static partial void ResponseEnded(ILogger logger, string conversationId, ChatResponseOutcome outcome, long sequence);

    [LoggerMessage(3, LogLevel.Warning, "Refused a {Kind} event for conversation {ConversationId}: {Rule}.")]
    public static partial void PublishRefused(ILogger logger, ChatStreamingEventKind kind, string conversationId, ChatStreamingError rule);

    [LoggerMessage(4, LogLevel.Warning, "A subscriber of conversation {ConversationId} dropped event {Sequence} ({Kind}) because its queue was full.")]
    public static partial void EventDropped(ILogger logger, string conversationId, long sequence, ChatStreamingEventKind kind);

    [LoggerMessage(5, LogLevel.Information, "Response in conversation {ConversationId} had no event for {IdleTimeout} and was evicted with Failed (idle timeout).")]
    public static partial void ResponseIdleTimeout(ILogger logger, string conversationId, TimeSpan idleTimeout);

    [LoggerMessage(6, LogLevel.Warning, "An Events observer threw and receives no more events.")]
    public static partial void ObserverFailed(ILogger logger, Exception exception);

    [LoggerMessage(7, LogLevel.Information, "Response in conversation {ConversationId} starting at sequence {StartSequence} was released: {Reason}.")]
    public static partial void ResponseReleased(ILogger logger, string conversationId, long startSequence, string reason);

    [LoggerMessage(8, LogLevel.Trace, "Delta {Sequence} of conversation {ConversationId}: {Text}")]
    public static partial void DeltaPublished(ILogger logger, string conversationId, long sequence, string text);

    [LoggerMessage(9, LogLevel.Warning, "A metrics or trace listener or a logger threw inside the store; it never breaks a publish, and later failures are only counted (DefaultChatStreamingStore.TelemetryFailureCount).")]
    public static partial void TelemetryFailed(ILogger logger, Exception exception);

    [LoggerMessage(10, LogLevel.Information, "A subscription to conversation {ConversationId} was ended by the store: {Reason}.")]
    public static partial void SubscriberCutOff(ILogger logger, string conversationId, string reason);
}
