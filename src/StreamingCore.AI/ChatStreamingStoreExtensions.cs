using Microsoft.Extensions.AI;
using Microsoft.Extensions.Logging.Abstractions;
using StreamingCore.AI.Publishing;

namespace StreamingCore.AI;

/// <summary>Publishes Microsoft.Extensions.AI update streams to an <see cref="IChatStreamingStore"/>.</summary>
public static class ChatStreamingStoreExtensions
{
    /// <summary>
    /// Publishes a stream of <see cref="ChatResponseUpdate"/>s as one response of a conversation and returns the assembled
    /// <see cref="ChatResponse"/>, the same as <c>ToChatResponseAsync</c> returns for the same updates, for the caller to save
    /// to its history.
    /// </summary>
    /// <remarks>
    /// Publishes <c>Started</c> before <paramref name="updates"/> is enumerated, one <c>Delta</c> per update whose
    /// <see cref="ChatResponseUpdate.Text"/> is not empty, as each arrives, then <c>Finished</c> with the <see cref="TokenUsage"/>
    /// summed over the stream's <see cref="UsageContent"/> (input and output token counts; <see langword="null"/> when the
    /// stream has none). Reasoning, tool-call, data and other non-text contents publish no <c>Delta</c>; they stay in the
    /// returned response. The failure rules are <see cref="ChatStreamingChatClient"/>'s: an active response →
    /// <see cref="ChatStreamingError.ResponseAlreadyStarted"/> before enumerating; the stream throwing → <c>Failed</c> with the
    /// exception's type name and message, and the same exception is thrown; cancellation → <c>Failed("canceled")</c> and
    /// <see cref="OperationCanceledException"/>.
    /// </remarks>
    /// <param name="store">The store.</param>
    /// <param name="conversationId">The conversation: 1 to 256 characters, no control characters.</param>
    /// <param name="updates">The updates, for example from <see cref="IChatClient.GetStreamingResponseAsync"/>; enumerated once.</param>
    /// <param name="cancellationToken">Cancels the enumeration; passed to <paramref name="updates"/>' enumerator.</param>
    /// <returns>The response assembled from the updates.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="store"/>, <paramref name="conversationId"/> or <paramref name="updates"/> is null.</exception>
    /// <exception cref="ArgumentException">In the task: <paramref name="conversationId"/> breaks the store's rule.</exception>
    /// <exception cref="ChatStreamingException">In the task: the store refused the response (an active one, a limit, its length).</exception>
    public static Task<ChatResponse> PublishStreamingResponseAsync(
        this IChatStreamingStore store,
        string conversationId,
        IAsyncEnumerable<ChatResponseUpdate> updates,
        CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(store);
        ArgumentNullException.ThrowIfNull(conversationId);
        ArgumentNullException.ThrowIfNull(updates);

        // The updates pass through the same engine as the middleware's, and ToChatResponseAsync assembles exactly what passed.
        return ResponsePublisher.PublishStreamingAsync(
                store,
                conversationId,
                updates,
                static (source, _) => source,
                NullLogger.Instance,
                cancellationToken)
            .ToChatResponseAsync(cancellationToken);
    }
}
