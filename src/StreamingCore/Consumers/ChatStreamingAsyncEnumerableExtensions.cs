using System.Runtime.CompilerServices;

namespace StreamingCore;

/// <summary>Operators for <see cref="IAsyncEnumerable{T}"/> consumers of chat streaming events.</summary>
public static class ChatStreamingAsyncEnumerableExtensions
{
    /// <summary>
    /// Batches deltas for UI updates: consecutive deltas of a conversation within <paramref name="window"/> of the
    /// first one become one delta (text concatenated, carrying the last sequence and time). Other events pass
    /// through at once, after any batch before them, so order and text are preserved.
    /// </summary>
    /// <param name="source">The events, for example from <c>IChatStreamingStore.SubscribeAsync</c>.</param>
    /// <param name="window">How long a batch collects deltas; default 50 ms.</param>
    /// <param name="timeProvider">The clock for the window; <see cref="TimeProvider.System"/> when null.</param>
    /// <param name="cancellationToken">Ends the enumeration.</param>
    /// <returns>The events with deltas batched.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="source"/> is null.</exception>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="window"/> is not positive.</exception>
    public static IAsyncEnumerable<ChatStreamingEvent> CoalesceDeltas(
        this IAsyncEnumerable<ChatStreamingEvent> source,
        TimeSpan? window = null,
        TimeProvider? timeProvider = null,
        CancellationToken cancellationToken = default)
    {
        Guard.NotNull(source);
        return CoalesceCoreAsync(source, CoalesceWindow.Validate(window), timeProvider ?? TimeProvider.System, cancellationToken);
    }

    private static async IAsyncEnumerable<ChatStreamingEvent> CoalesceCoreAsync(
        IAsyncEnumerable<ChatStreamingEvent> source,
        TimeSpan window,
        TimeProvider timeProvider,
        [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        // Cancels a MoveNextAsync still pending when the consumer stops early, so the source can be disposed.
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        IAsyncEnumerator<ChatStreamingEvent> enumerator = source.GetAsyncEnumerator(stop.Token);
        var batch = new DeltaBatch();
        Task<bool>? moveNext = null;
        Task? windowClosed = null;
        try
        {
            while (true)
            {
                moveNext ??= enumerator.MoveNextAsync().AsTask();
                if (!batch.IsEmpty)
                {
                    windowClosed ??= Task.Delay(window, timeProvider, stop.Token);
                    if (await Task.WhenAny(moveNext, windowClosed).ConfigureAwait(false) == windowClosed)
                    {
                        windowClosed = null;
                        yield return batch.Take();
                        continue;
                    }
                }

                bool hasNext = await moveNext.ConfigureAwait(false);
                moveNext = null;
                if (!hasNext)
                {
                    break;
                }

                ChatStreamingEvent streamingEvent = enumerator.Current;
                if (!batch.IsEmpty && (streamingEvent.Kind != ChatStreamingEventKind.Delta || !batch.Accepts(streamingEvent)))
                {
                    windowClosed = null;
                    yield return batch.Take();
                }

                if (streamingEvent.Kind == ChatStreamingEventKind.Delta)
                {
                    batch.Add(streamingEvent);
                }
                else
                {
                    yield return streamingEvent;
                }
            }

            if (!batch.IsEmpty)
            {
                yield return batch.Take();
            }
        }
        finally
        {
            await stop.CancelAsync().ConfigureAwait(false);
            if (moveNext is not null)
            {
                try
                {
                    await moveNext.ConfigureAwait(false);
                }
                catch (OperationCanceledException)
                {
                    // Expected: the pending read was cancelled because the consumer stopped.
                }
            }

            await enumerator.DisposeAsync().ConfigureAwait(false);
        }
    }
}
