using System.Collections.Concurrent;
using System.Diagnostics;

namespace StreamingCore;

/// <summary>
/// A registry of active streams by id, each a bounded channel (<see cref="ResponseBuffer{T}"/>) for one
/// producer and one consumer: create, get, complete, fail and cancel; a limit on active streams; and
/// idle eviction on the injected <see cref="TimeProvider"/>.
/// </summary>
/// <typeparam name="T">The item type.</typeparam>
/// <remarks>
/// An ended stream leaves the registry at once, so its id can be reused; its consumer still drains
/// what was written and then sees the end (and the error of a failed, cancelled or timed-out stream).
/// Because ids are reused, an owner ends its stream through its handle (<see cref="ManagedStream{T}.Complete()"/>,
/// <see cref="ManagedStream{T}.Fail(Exception)"/>, <see cref="ManagedStream{T}.Cancel()"/>), which never ends a later
/// stream with the same id; the by-id methods here end whichever stream has the id at the time.
/// </remarks>
[DebuggerDisplay("ActiveCount = {ActiveCount}")]
public sealed class StreamManager<T> : IDisposable
{
    // Active streams by id.
    private readonly ConcurrentDictionary<string, ManagedStream<T>> _streams = new(StringComparer.Ordinal);

    // The clock for idle eviction.
    private readonly TimeProvider _timeProvider;

    // Options copied at construction.
    private readonly int _maxStreams;
    private readonly TimeSpan _idleTimeout;
    private readonly ResponseBufferOptions<T> _bufferOptions;

    // Active streams plus creations in progress; bounded by _maxStreams.
    private int _reserved;

    // 1 once Dispose began; an int for Interlocked.
    private int _disposed;

    /// <summary>Initializes a new manager.</summary>
    /// <param name="options">Limits and per-stream settings; default values when null.</param>
    /// <param name="timeProvider">The clock; <see cref="TimeProvider.System"/> when null.</param>
    /// <exception cref="ArgumentException">An option is out of range (each message names it).</exception>
    public StreamManager(StreamManagerOptions? options = null, TimeProvider? timeProvider = null)
    {
        options ??= new StreamManagerOptions();
        Guard.Positive(options.MaxStreams, "options.MaxStreams");
        Guard.Positive(options.StreamCapacity, "options.StreamCapacity");
        if (!Enum.IsDefined(options.StreamOverflow) || options.StreamOverflow == OverflowStrategy.Coalesce)
        {
            throw new ArgumentException($"StreamOverflow {options.StreamOverflow} is not available for managed streams (Coalesce needs a merge function).", nameof(options));
        }

        if (!Guard.IsValidTimeout(options.IdleTimeout))
        {
            throw new ArgumentOutOfRangeException(nameof(options), options.IdleTimeout, "IdleTimeout must be positive (at most 49 days) or Timeout.InfiniteTimeSpan.");
        }

        _timeProvider = timeProvider ?? TimeProvider.System;
        _maxStreams = options.MaxStreams;
        _idleTimeout = options.IdleTimeout;
        _bufferOptions = new ResponseBufferOptions<T> { Capacity = options.StreamCapacity, OverflowStrategy = options.StreamOverflow };
    }

    /// <summary>Gets the number of active streams.</summary>
    public int ActiveCount => _streams.Count;

    /// <summary>Creates and registers a stream.</summary>
    /// <param name="id">The stream's id; unique among active streams.</param>
    /// <returns>The new stream.</returns>
    /// <exception cref="ArgumentException"><paramref name="id"/> is null or empty, or an active stream already has it.</exception>
    /// <exception cref="InvalidOperationException">MaxStreams streams are already active.</exception>
    /// <exception cref="ObjectDisposedException">The manager is disposed (also when <see cref="Dispose"/> runs during the call).</exception>
    public ManagedStream<T> Create(string id)
    {
        ArgumentException.ThrowIfNullOrEmpty(id);
        ObjectDisposedException.ThrowIf(Volatile.Read(ref _disposed) != 0, this);
        if (_streams.ContainsKey(id))
        {
            throw DuplicateId(id);
        }

        if (Interlocked.Increment(ref _reserved) > _maxStreams)
        {
            Interlocked.Decrement(ref _reserved);
            throw new InvalidOperationException($"Cannot create stream '{id}': {_maxStreams} streams are active (MaxStreams).");
        }

        var stream = new ManagedStream<T>(this, id, _bufferOptions, _timeProvider, _idleTimeout);
        if (!_streams.TryAdd(id, stream))
        {
            Interlocked.Decrement(ref _reserved);
            stream.End(StreamState.Cancelled, null);
            throw DuplicateId(id);
        }

        // Dispose may have swept the registry between the check above and TryAdd. Both sides are full fences, so
        // either Dispose's sweep sees this stream or this read sees the flag: a stream the sweep missed is ended
        // here, before Create returns, and never handed out.
        if (Interlocked.CompareExchange(ref _disposed, 0, 0) != 0)
        {
            stream.End(StreamState.Cancelled, new ObjectDisposedException(nameof(StreamManager<T>)));
            throw new ObjectDisposedException(nameof(StreamManager<T>));
        }

        return stream;
    }

    private static ArgumentException DuplicateId(string id) => new($"A stream with id '{id}' is already active.", nameof(id));

    /// <summary>Finds an active stream.</summary>
    /// <param name="id">The stream's id.</param>
    /// <param name="stream">The stream, when found.</param>
    /// <returns>Whether an active stream has that id.</returns>
    public bool TryGet(string id, [System.Diagnostics.CodeAnalysis.NotNullWhen(true)] out ManagedStream<T>? stream)
        => _streams.TryGetValue(Guard.NotNull(id), out stream);

    /// <summary>Ends the stream that currently has this id normally; its consumer drains what was written and then completes.</summary>
    /// <param name="id">The stream's id.</param>
    /// <returns>Whether an active stream was ended.</returns>
    /// <remarks>
    /// It ends whichever stream has the id now: a late call from an owner whose stream already ended ends another
    /// stream that reused the id. An owner ends its own stream with <see cref="ManagedStream{T}.Complete()"/>.
    /// </remarks>
    public bool Complete(string id) => TryGet(id, out ManagedStream<T>? stream) && stream.Complete();

    /// <summary>Ends the stream that currently has this id with an error that its consumer sees after draining.</summary>
    /// <param name="id">The stream's id.</param>
    /// <param name="error">The error.</param>
    /// <returns>Whether an active stream was ended.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="error"/> is null.</exception>
    /// <remarks>
    /// It ends whichever stream has the id now: a late call from an owner whose stream already ended fails another
    /// stream that reused the id. An owner ends its own stream with <see cref="ManagedStream{T}.Fail(Exception)"/>.
    /// </remarks>
    public bool Fail(string id, Exception error)
    {
        Guard.NotNull(error);
        return TryGet(id, out ManagedStream<T>? stream) && stream.Fail(error);
    }

    /// <summary>Ends the stream that currently has this id by cancellation; its consumer sees an <see cref="OperationCanceledException"/> after draining.</summary>
    /// <param name="id">The stream's id.</param>
    /// <returns>Whether an active stream was ended.</returns>
    /// <remarks>
    /// It ends whichever stream has the id now: a late call from an owner whose stream already ended cancels another
    /// stream that reused the id. An owner ends its own stream with <see cref="ManagedStream{T}.Cancel()"/>.
    /// </remarks>
    public bool Cancel(string id) => TryGet(id, out ManagedStream<T>? stream) && stream.Cancel();

    internal void Unregister(ManagedStream<T> stream)
    {
        if (_streams.TryRemove(new KeyValuePair<string, ManagedStream<T>>(stream.Id, stream)))
        {
            Interlocked.Decrement(ref _reserved);
        }
    }

    /// <summary>Cancels every active stream; <see cref="Create"/> throws <see cref="ObjectDisposedException"/> from then on.</summary>
    public void Dispose()
    {
        Interlocked.Exchange(ref _disposed, 1);
        foreach (ManagedStream<T> stream in _streams.Values)
        {
            stream.End(StreamState.Cancelled, new ObjectDisposedException(nameof(StreamManager<T>)));
        }
    }
}
