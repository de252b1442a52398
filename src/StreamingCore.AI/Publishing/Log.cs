using Microsoft.Extensions.Logging;

namespace StreamingCore.AI.Publishing;

/// <summary>StreamingCore.AI's log messages. None carries content (text, arguments, data), so none needs Trace level.</summary>
internal static partial class Log
{
    [LoggerMessage(
        EventId = 1,
        EventName = "ContentsWithoutDelta",
        Level = LogLevel.Debug,
        Message = "The response of conversation {ConversationId} ended with contents that publish no delta: {ReasoningCount} reasoning, {ToolCount} tool call or result, {DataCount} data or URI, {OtherCount} other.")]
    public static partial void ContentsWithoutDelta(ILogger logger, string conversationId, int reasoningCount, int toolCount, int dataCount, int otherCount);

    [LoggerMessage(
        EventId = 2,
        EventName = "ResponseAlreadyEnded",
        Level = LogLevel.Debug,
        Message = "The response of conversation {ConversationId} was already ended by the store; its Failed event was not published: {Reason}")]
    public static partial void ResponseAlreadyEnded(ILogger logger, string conversationId, string reason);

    [LoggerMessage(
        EventId = 3,
        EventName = "StreamDisposeFailed",
        Level = LogLevel.Warning,
        Message = "Disposing the update stream of conversation {ConversationId} threw after the call had failed; the call's own exception is the one thrown.")]
    public static partial void StreamDisposeFailed(ILogger logger, string conversationId, Exception exception);
}
