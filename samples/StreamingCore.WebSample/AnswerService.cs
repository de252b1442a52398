using System.Collections.Concurrent;

namespace StreamingCore.WebSample;

/// <summary>
/// Runs answers in the background: publishes <c>Started</c> at once (so a client that connects right after the POST sees the
/// response), then the model's tokens as deltas, then <c>Finished</c>, or <c>Failed</c> when the model fails or the app stops.
/// </summary>
/// <remarks>
/// Disposed by the container before the store it depends on: by then <c>ApplicationStopping</c> has cancelled every answer,
/// and disposal waits until each has published its <c>Failed</c>, so no answer is left active.
/// </remarks>
public sealed class AnswerService(IChatStreamingStore store, FakeChatModel model, IHostApplicationLifetime lifetime, ILogger<AnswerService> logger)
    : IAsyncDisposable
{
    // The answers being produced.
    private readonly ConcurrentDictionary<Task, bool> _running = new();

    /// <summary>Starts answering <paramref name="message"/> in <paramref name="conversationId"/>.</summary>
    /// <returns>The stamped <c>Started</c> event.</returns>
    /// <exception cref="ChatStreamingException">The conversation already has an active answer (<see cref="ChatStreamingError.ResponseAlreadyStarted"/>), or a store limit.</exception>
    /// <exception cref="ArgumentException">The conversation id is invalid.</exception>
    public ChatStreamingEvent Start(string conversationId, string message)
    {
        ChatStreamingEvent started = store.Publish(ChatStreamingEvent.Started(conversationId));
        Task answer = ProduceAsync(conversationId, message, lifetime.ApplicationStopping);
        _running.TryAdd(answer, true);
        answer.ContinueWith(t => _running.TryRemove(t, out _), CancellationToken.None, TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default);
        return started;
    }

    private async Task ProduceAsync(string conversationId, string message, CancellationToken cancellationToken)
    {
        // Leave the request's thread at once: the POST returns 202 while the model "thinks".
        await Task.Yield();
        int outputTokens = 0;
        try
        {
            await foreach (string token in model.StreamAsync(message, cancellationToken))
            {
                store.Publish(ChatStreamingEvent.Delta(conversationId, token));
                outputTokens++;
            }

            store.Publish(ChatStreamingEvent.Finished(conversationId, new TokenUsage(InputTokens: message.Length / 4 + 1, OutputTokens: outputTokens)));
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            store.Publish(ChatStreamingEvent.Failed(conversationId, "canceled"));
        }
        catch (Exception ex)
        {
            logger.LogError(ex, "The answer in conversation {ConversationId} failed.", conversationId);
            store.Publish(ChatStreamingEvent.Failed(conversationId, ex.Message));
        }
    }

    /// <summary>Waits for the answers still running (cancelled by then) to publish their last event.</summary>
    public async ValueTask DisposeAsync() => await Task.WhenAll(_running.Keys);
}
