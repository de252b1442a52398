using System.Reactive.Disposables;
using System.Reactive.Linq;

namespace StreamingCore;

/// <summary>Operators for <see cref="IObservable{T}"/> consumers of chat streaming events.</summary>
public static class ChatStreamingObservableExtensions
{
    /// <summary>
    /// Batches deltas for UI updates: consecutive deltas of a conversation within <paramref name="window"/> of the
    /// first one become one delta (text concatenated, carrying the last sequence and time). Other events pass
    /// through at once, after any batch before them, so order and text are preserved.
    /// </summary>
    /// <param name="source">The events.</param>
    /// <param name="window">How long a batch collects deltas; default 50 ms.</param>
    /// <param name="timeProvider">The clock for the window; <see cref="TimeProvider.System"/> when null.</param>
    /// <returns>The events with deltas batched.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="source"/> is null.</exception>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="window"/> is not positive.</exception>
    public static IObservable<ChatStreamingEvent> CoalesceDeltas(this IObservable<ChatStreamingEvent> source, TimeSpan? window = null, TimeProvider? timeProvider = null)
    {
        Guard.NotNull(source);
        TimeSpan period = CoalesceWindow.Validate(window);
        TimeProvider clock = timeProvider ?? TimeProvider.System;

        return Observable.Create<ChatStreamingEvent>(observer =>
        {
            // Serialises the source's notifications with the window timer's flush.
            var gate = new object();
            var batch = new DeltaBatch();
            ITimer timer = clock.CreateTimer(
                _ =>
                {
                    lock (gate)
                    {
                        if (!batch.IsEmpty)
                        {
                            observer.OnNext(batch.Take());
                        }
                    }
                },
                null,
                Timeout.InfiniteTimeSpan,
                Timeout.InfiniteTimeSpan);

            void FlushLocked()
            {
                timer.Change(Timeout.InfiniteTimeSpan, Timeout.InfiniteTimeSpan);
                if (!batch.IsEmpty)
                {
                    observer.OnNext(batch.Take());
                }
            }

            IDisposable subscription = source.Subscribe(
                streamingEvent =>
                {
                    lock (gate)
                    {
                        if (streamingEvent.Kind != ChatStreamingEventKind.Delta || !batch.Accepts(streamingEvent))
                        {
                            FlushLocked();
                        }

                        if (streamingEvent.Kind != ChatStreamingEventKind.Delta)
                        {
                            observer.OnNext(streamingEvent);
                            return;
                        }

                        if (batch.IsEmpty)
                        {
                            timer.Change(period, Timeout.InfiniteTimeSpan);
                        }

                        batch.Add(streamingEvent);
                    }
                },
                error =>
                {
                    lock (gate)
                    {
                        FlushLocked();
                        observer.OnError(error);
                    }
                },
                () =>
                {
                    lock (gate)
                    {
                        FlushLocked();
                        observer.OnCompleted();
                    }
                });

            return new CompositeDisposable(subscription, timer);
        });
    }
}
