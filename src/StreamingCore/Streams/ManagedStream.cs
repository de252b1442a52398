using System.Diagnostics;
using System.Threading.Channels;

namespace StreamingCore;

/// <summary>One stream of a <see cref="StreamManager{T}"/>: a channel with an id, a state and an idle timeout.</summary>
/// <typeparam name="T">The item type.</typeparam>
[DebuggerDisplay("{Id,nq}: {State}")]
public sealed class ManagedStream<T>
{
    // The manager that owns this stream's registration.
    private readonly StreamManager<T> _owner;

    // The stream's items.
    private readonly ResponseBuffer<T> _buffer;

    // Ends the stream as TimedOut when nothing is written for the idle timeout.
    private readonly IdleMonitor _idle;

    // The StreamState as an int, so that the first end wins through Interlocked.CompareExchange.
    private int _state;

    internal ManagedStream(StreamManager<T> owner, string id, ResponseBufferOptions<T> bufferOptions, TimeProvider timeProvider, TimeSpan idleTimeout)
    {
        _owner = owner;
        Id = id;
        CreatedAt = timeProvider.GetUtcNow();
        _buffer = new ResponseBuffer<T>(bufferOptions);
        _idle = new IdleMonitor(timeProvider, idleTimeout, () => End(StreamState.TimedOut, new TimeoutException($"Stream '{id}' had no write for {idleTimeout}.")));
    }

    /// <summary>Gets the stream's id.</summary>
    public string Id { get; }

    /// <summary>Gets when the stream was created.</summary>
    public DateTimeOffset CreatedAt { get; }

    /// <summary>Gets the stream's state.</summary>
    public StreamState State => (StreamState)Volatile.Read(ref _state);

    /// <summary>Gets the reader of the stream's items. It completes when the stream ends (with the error of a failed, cancelled or timed-out stream).</summary>
    public ChannelReader<T> Reader => _buffer.Reader;

    /// <summary>Writes an item without waiting.</summary>
    /// <param name="item">The item.</param>
    /// <returns><see langword="false"/> when the stream has ended or is full (Wait and Reject strategies).</returns>
    public bool TryWrite(T item)
    {
        _idle.Touch();
        return _buffer.Writer.TryWrite(item);
    }

    /// <summary>Writes an item, waiting for room under <see cref="OverflowStrategy.Wait"/>.</summary>
    /// <param name="item">The item.</param>
    /// <param name="cancellationToken">Cancels the wait.</param>
    /// <returns>A task that completes when the item is written.</returns>
    /// <exception cref="ChannelClosedException">The stream has ended.</exception>
    /// <exception cref="BufferFullException">The stream is full and its strategy is Reject.</exception>
    public ValueTask WriteAsync(T item, CancellationToken cancellationToken = default)
    {
        _idle.Touch();
        return _buffer.Writer.WriteAsync(item, cancellationToken);
    }

    /// <summary>
    /// Ends this stream normally; its consumer drains what was written and then completes. Unlike
    /// <see cref="StreamManager{T}.Complete(string)"/>, it only ever ends this very stream, never a later one that
    /// reuses its id: the owner's safe way to end it.
    /// </summary>
    /// <returns>Whether this call ended the stream (<see langword="false"/> when it had already ended).</returns>
    public bool Complete() => End(StreamState.Completed, null);

    /// <summary>
    /// Ends this stream with an error that its consumer sees after draining. It only ever ends this very stream,
    /// never a later one that reuses its id.
    /// </summary>
    /// <param name="error">The error.</param>
    /// <returns>Whether this call ended the stream (<see langword="false"/> when it had already ended).</returns>
    /// <exception cref="ArgumentNullException"><paramref name="error"/> is null.</exception>
    public bool Fail(Exception error) => End(StreamState.Failed, Guard.NotNull(error));

    /// <summary>
    /// Ends this stream by cancellation; its consumer sees an <see cref="OperationCanceledException"/> after draining.
    /// It only ever ends this very stream, never a later one that reuses its id.
    /// </summary>
    /// <returns>Whether this call ended the stream (<see langword="false"/> when it had already ended).</returns>
    public bool Cancel() => End(StreamState.Cancelled, new OperationCanceledException($"Stream '{Id}' was cancelled."));

    internal bool End(StreamState state, Exception? error)
    {
        if (Interlocked.CompareExchange(ref _state, (int)state, (int)StreamState.Active) != (int)StreamState.Active)
        {
            return false;
        }

        _idle.Dispose();
        _buffer.Writer.TryComplete(error);
        _owner.Unregister(this);
        return true;
    }
}
