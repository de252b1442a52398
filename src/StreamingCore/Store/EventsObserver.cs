namespace StreamingCore;

/// <summary>
/// One observer of <see cref="IChatStreamingStore.Events"/>: a bounded queue filled by publishers and a pump
/// that calls the observer, so a slow observer never blocks a producer and a throwing one only ends itself.
/// </summary>
internal sealed class EventsObserver : IDisposable
{
    // The store, to unregister from.
    private readonly DefaultChatStreamingStore _store;

    // The user's observer.
    private readonly IObserver<ChatStreamingEvent> _observer;

    // Stops the pump when the observer unsubscribes.
    private readonly CancellationTokenSource _unsubscribed = new();

    public EventsObserver(DefaultChatStreamingStore store, IObserver<ChatStreamingEvent> observer, ResponseBuffer<ChatStreamingEvent>.Settings bufferSettings)
    {
        _store = store;
        _observer = observer;
        Buffer = new ResponseBuffer<ChatStreamingEvent>(bufferSettings);
    }

    public ResponseBuffer<ChatStreamingEvent> Buffer { get; }

    /// <summary>Completes when the pump has stopped.</summary>
    public Task Pump { get; private set; } = Task.CompletedTask;

    public void Start() => Pump = Task.Run(PumpAsync);

    /// <summary>Queues an event; returns true when the observer is over (its queue refused the event).</summary>
    public bool Deliver(in ChatStreamingEvent streamingEvent)
    {
        if (Buffer.TryWriteCore(streamingEvent))
        {
            return false;
        }

        // A stuck observer is cut off rather than allowed to hold memory without limit; it sees this after what is queued.
        Buffer.Writer.TryComplete(new ChatStreamingException(
            ChatStreamingError.SubscriberOverflow,
            streamingEvent.ConversationId,
            Buffer.Strategy == OverflowStrategy.Reject
                ? $"An Events observer fell {Buffer.Capacity} events behind (SubscriberCapacity) and its overflow strategy is Reject."
                : $"An Events observer stopped keeping up: its queue holds {Buffer.MaxCount} events that its overflow strategy ({Buffer.Strategy}) can neither merge nor drop (twice SubscriberCapacity)."));
        return true;
    }

    private async Task PumpAsync()
    {
        Exception? error = null;
        try
        {
            await foreach (ChatStreamingEvent streamingEvent in Buffer.Reader.ReadAllAsync(_unsubscribed.Token).ConfigureAwait(false))
            {
                try
                {
                    _observer.OnNext(ChatEventMerge.Materialize(streamingEvent));
                }
                catch (Exception ex)
                {
                    // Rx treats an observer whose OnNext threw as broken: deliver nothing more to it.
                    _store.OnObserverFailed(this, ex);
                    return;
                }
            }
        }
        catch (OperationCanceledException) when (_unsubscribed.IsCancellationRequested)
        {
            return;
        }
        catch (Exception ex)
        {
            error = ex;
        }
        finally
        {
            _store.RemoveObserver(this);
        }

        try
        {
            if (error is null)
            {
                _observer.OnCompleted();
            }
            else
            {
                _observer.OnError(error);
            }
        }
        catch (Exception ex)
        {
            _store.OnObserverFailed(this, ex);
        }
    }

    public void Dispose()
    {
        _store.RemoveObserver(this);
        _unsubscribed.Cancel();
        Buffer.Writer.TryComplete();
    }
}
