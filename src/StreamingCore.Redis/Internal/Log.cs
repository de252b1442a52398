using Microsoft.Extensions.Logging;

namespace StreamingCore.Redis.Internal;

/// <summary>The Redis scale-out's log messages (event ids 100 and up, beside the core's).</summary>
internal static partial class Log
{
    [LoggerMessage(100, LogLevel.Warning, "Redis did not take the events of conversation '{ConversationId}' ({Reason}); they stay queued and are written again.")]
    public static partial void WriteRetrying(ILogger logger, string conversationId, string reason);

    [LoggerMessage(101, LogLevel.Error, "Redis refused the events of conversation '{ConversationId}'; its response ends here.")]
    public static partial void WriteFailed(ILogger logger, string conversationId, Exception exception);

    [LoggerMessage(102, LogLevel.Warning, "The response of conversation '{ConversationId}' that started at sequence {Start} was lost in Redis ({Reason}); it ends with Failed.")]
    public static partial void ResponseLost(ILogger logger, string conversationId, long start, string reason);

    [LoggerMessage(103, LogLevel.Warning, "The store stopped with {Count} events not yet written to Redis (ShutdownTimeout {Timeout}).")]
    public static partial void ShutdownTimedOut(ILogger logger, int count, TimeSpan timeout);

    [LoggerMessage(104, LogLevel.Warning, "Conversation '{ConversationId}' could not be read from Redis ({Reason}); its subscribers get what this instance has and catch up when Redis is back.")]
    public static partial void ReadFailed(ILogger logger, string conversationId, string reason);

    [LoggerMessage(105, LogLevel.Warning, "A live message of conversation '{ConversationId}' could not be read ({Reason}); the conversation is read again from its stream.")]
    public static partial void BadMessage(ILogger logger, string conversationId, string reason);
}
