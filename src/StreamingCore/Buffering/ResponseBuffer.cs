using System.Diagnostics;
using System.Diagnostics.CodeAnalysis;
using System.Threading.Channels;

namespace StreamingCore;

/// <summary>
/// A bounded <see cref="Channel{T}"/> with the five <see cref="OverflowStrategy"/> values: drop oldest,
/// drop newest, reject, wait (backpressure through a <see cref="BackpressureHandler"/>) and coalesce.
/// </summary>
/// <typeparam name="T">The item type.</typeparam>
/// <remarks>
/// <para>
/// It is a channel, so consumers use the usual <see cref="ChannelReader{T}"/> API
/// (<c>ReadAllAsync</c>, <c>Completion</c>) and a writer completes it with an error that the reader sees after
/// draining. It exists beside <see cref="Channel.CreateBounded{T}(BoundedChannelOptions)"/> because chat streams
/// need what a bounded channel cannot do: merge an item into one still queued, and never drop the items
/// <see cref="ResponseBufferOptions{T}.CanDrop"/> pins (a response's start and end).
/// </para>
/// <para>
/// Items pinned or not mergeable are kept past <see cref="Capacity"/>, but never past <see cref="MaxCount"/>: there a
/// write the strategy would keep is refused as under <see cref="OverflowStrategy.Reject"/>. As for a bounded channel,
/// <c>WaitToWriteAsync</c> completes <see langword="true"/> only when there is room (under
/// <see cref="OverflowStrategy.Reject"/> below the capacity, under <see cref="OverflowStrategy.Wait"/> when writers may go on (a full buffer drained to its resume point),
/// under the other strategies below <see cref="MaxCount"/>) and <see langword="false"/> once the writer completed.
/// </para>
/// <para>
/// Every drop is counted in <see cref="DroppedCount"/> and reported to <see cref="ResponseBufferOptions{T}.ItemDropped"/>
/// outside the lock; an exception from that callback is counted in <see cref="CallbackFailureCount"/>, never thrown to the writer.
/// </para>
/// </remarks>
[DebuggerDisplay("Count = {_items.Count}, Capacity = {Capacity}, MaxCount = {MaxCount}, Strategy = {Strategy}")]
public sealed class ResponseBuffer<T> : Channel<T>
{
    // Marks _doneWriting for a completion without an error.
    private static readonly Exception s_doneWritingSentinel = new ChannelClosedException();

    // Guards every mutable field below.
    private readonly object _gate = new();

    // The queued items, oldest first; past Capacity only by items CanDrop pins or Coalesce cannot merge, never past MaxCount.
    private readonly RingBuffer<T> _items = new();

    // Completed when no more items will ever be read: writing is done and _items is drained.
    private readonly TaskCompletionSource _completion = new(TaskCreationOptions.RunContinuationsAsynchronously);

    // Strategy settings copied from the options at construction.
    private readonly ResponseBufferMerge<T>? _merge;
    private readonly Func<T, bool>? _canDrop;
    private readonly Action<T>? _itemDropped;

    // Wait strategy only: tracks the count against capacity and resume point, and parks writers.
    private readonly BackpressureHandler? _backpressure;

    // A reader parked in WaitToReadAsync; completed by the next write or by completion.
    private TaskCompletionSource<bool>? _readWaiter;

    // Writers parked in WaitToWriteAsync (every strategy but Wait); completed true by a read that frees a slot, false by completion.
    private TaskCompletionSource<bool>? _writeWaiter;

    // Null while writing is allowed; s_doneWritingSentinel or the completion error afterwards.
    private Exception? _doneWriting;

    // Items dropped and merged so far.
    private long _droppedCount;
    private long _mergedCount;

    // ItemDropped calls that threw.
    private long _callbackFailureCount;

    /// <summary>Initializes a new buffer.</summary>
    /// <param name="options">The capacity, strategy and callbacks.</param>
    /// <exception cref="ArgumentNullException"><paramref name="options"/> is null.</exception>
    /// <exception cref="ArgumentOutOfRangeException">The capacity is not positive, the resume point is not below it, or MaxCount is below it.</exception>
    /// <exception cref="ArgumentException">The strategy is undefined, or <see cref="OverflowStrategy.Coalesce"/> has no merge function.</exception>
    public ResponseBuffer(ResponseBufferOptions<T> options)
    {
        Guard.NotNull(options);
        Guard.Positive(options.Capacity, "options.Capacity");
        if (!Enum.IsDefined(options.OverflowStrategy))
        {
            throw new ArgumentException($"OverflowStrategy {(int)options.OverflowStrategy} is not a defined value.", nameof(options));
        }

        if (options.OverflowStrategy == OverflowStrategy.Coalesce && options.Merge is null)
        {
            throw new ArgumentException("OverflowStrategy.Coalesce requires a Merge function.", nameof(options));
        }

        if (options.MaxCount < options.Capacity)
        {
            throw new ArgumentOutOfRangeException(nameof(options), options.MaxCount, "MaxCount must be at least Capacity.");
        }

        Capacity = options.Capacity;
        MaxCount = options.MaxCount ?? (int)Math.Min(2L * Capacity, int.MaxValue);
        Strategy = options.OverflowStrategy;
        _merge = options.Merge;
        _canDrop = options.CanDrop;
        _itemDropped = options.ItemDropped;

        if (Strategy == OverflowStrategy.Wait)
        {
            int resumeAt = options.ResumeWritingAt ?? Capacity / 2;
            if (resumeAt < 0 || resumeAt >= Capacity)
            {
                throw new ArgumentOutOfRangeException(nameof(options), resumeAt, "ResumeWritingAt must be at least 0 and less than Capacity.");
            }

            _backpressure = new BackpressureHandler(new BackpressureOptions { HighWatermark = Capacity, LowWatermark = resumeAt });
        }

        Reader = new BufferReader(this);
        Writer = new BufferWriter(this);
    }

    /// <summary>Gets the number of items held before the overflow strategy applies.</summary>
    public int Capacity { get; }

    /// <summary>
    /// Gets the most items the buffer ever holds (<see cref="ResponseBufferOptions{T}.MaxCount"/>, by default twice
    /// <see cref="Capacity"/>): past it, a write the strategy would keep is refused as under <see cref="OverflowStrategy.Reject"/>.
    /// </summary>
    public int MaxCount { get; }

    /// <summary>Gets the overflow strategy.</summary>
    public OverflowStrategy Strategy { get; }

    /// <summary>Gets how many items have been dropped by <see cref="OverflowStrategy.DropOldest"/> or <see cref="OverflowStrategy.DropNewest"/>.</summary>
    public long DroppedCount => Interlocked.Read(ref _droppedCount);

    /// <summary>Gets how many incoming items have been merged into queued ones by <see cref="OverflowStrategy.Coalesce"/>.</summary>
    public long MergedCount => Interlocked.Read(ref _mergedCount);

    /// <summary>
    /// Gets how many times <see cref="ResponseBufferOptions{T}.ItemDropped"/> threw. Such an exception never escapes
    /// the write that dropped the item (the write happened: <c>TryWrite</c> returns <see langword="true"/> and
    /// <c>WriteAsync</c> succeeds); it is counted here instead and the buffer keeps working.
    /// </summary>
    public long CallbackFailureCount => Interlocked.Read(ref _callbackFailureCount);

    private bool TryWriteCore(T item)
    {
        bool dropped = false;
        T droppedItem = default!;
        TaskCompletionSource<bool>? waiter = null;

        lock (_gate)
        {
            if (_doneWriting is not null)
            {
                return false;
            }

            if (HasRoomLocked())
            {
                AddLocked(item, ref waiter);
            }
            else
            {
                switch (Strategy)
                {
                    case OverflowStrategy.Wait:
                    case OverflowStrategy.Reject:
                        return false;

                    case OverflowStrategy.DropNewest:
                        if (CanDrop(item))
                        {
                            (dropped, droppedItem) = (true, item);
                        }
                        else if (!TryAddPastCapacityLocked(item, ref waiter))
                        {
                            return false;
                        }

                        break;

                    case OverflowStrategy.DropOldest:
                        int victim = FindOldestDroppableLocked();
                        if (victim >= 0)
                        {
                            (dropped, droppedItem) = (true, _items.RemoveAt(victim));
                            AddLocked(item, ref waiter);
                        }
                        else if (!TryAddPastCapacityLocked(item, ref waiter))
                        {
                            return false;
                        }

                        break;

                    case OverflowStrategy.Coalesce:
                        // Coalesce never loses an item: what cannot merge is kept past capacity, and refused at MaxCount.
                        if (!TryMergeLocked(item) && !TryAddPastCapacityLocked(item, ref waiter))
                        {
                            return false;
                        }

                        break;
                }
            }

            if (dropped)
            {
                _droppedCount++;
            }
        }

        waiter?.TrySetResult(true);
        if (dropped)
        {
            ReportDropped(droppedItem);
        }

        return true;
    }

    private void ReportDropped(T item)
    {
        if (_itemDropped is null)
        {
            return;
        }

        try
        {
            _itemDropped(item);
        }
        catch (Exception)
        {
            // The write already happened, so the writer must see success; the count keeps the failure visible.
            Interlocked.Increment(ref _callbackFailureCount);
        }
    }

    private bool HasRoomLocked()
        => _backpressure is { } bp ? !bp.IsPaused : _items.Count < Capacity;

    // Whether any write would succeed now, for WaitToWriteAsync. At MaxCount a write the strategy can drop or merge
    // would still succeed, but one it would keep would not: like Reject, wait for a read rather than let a writer spin.
    private bool HasWriteRoomLocked()
        => _items.Count < (Strategy == OverflowStrategy.Reject ? Capacity : MaxCount);

    private void AddLocked(T item, ref TaskCompletionSource<bool>? waiter)
    {
        _items.AddLast(item);
        _backpressure?.Add(1);
        waiter = _readWaiter;
        _readWaiter = null;
    }

    // A consumer that stopped reading must not make the queue (and every write's scan of it) grow without bound.
    private bool TryAddPastCapacityLocked(T item, ref TaskCompletionSource<bool>? waiter)
    {
        if (_items.Count >= MaxCount)
        {
            return false;
        }

        AddLocked(item, ref waiter);
        return true;
    }

    private bool CanDrop(T item) => _canDrop is null || _canDrop(item);

    private int FindOldestDroppableLocked()
    {
        for (int i = 0; i < _items.Count; i++)
        {
            if (CanDrop(_items[i]))
            {
                return i;
            }
        }

        return -1;
    }

    private bool TryMergeLocked(T item)
    {
        for (int i = _items.Count - 1; i >= 0; i--)
        {
            switch (_merge!(_items[i], item, out T merged))
            {
                case MergeResult.Merged:
                    _items[i] = merged;
                    _mergedCount++;
                    return true;
                case MergeResult.Blocked:
                    return false;
            }
        }

        return false;
    }

    private bool TryReadCore([MaybeNullWhen(false)] out T item)
    {
        bool completed = false;
        TaskCompletionSource<bool>? writeWaiter = null;
        lock (_gate)
        {
            if (_items.Count == 0)
            {
                item = default;
                return false;
            }

            item = _items.RemoveFirst();
            if (_doneWriting is null)
            {
                // After completion the level was reset to wake writers; nothing is tracked any more.
                _backpressure?.Release(1);
            }

            if (_writeWaiter is not null && HasWriteRoomLocked())
            {
                (writeWaiter, _writeWaiter) = (_writeWaiter, null);
            }

            completed = _doneWriting is not null && _items.Count == 0;
        }

        writeWaiter?.TrySetResult(true);
        if (completed)
        {
            SignalCompletion();
        }

        return true;
    }

    private ValueTask<bool> WaitToReadCore(CancellationToken cancellationToken)
    {
        if (cancellationToken.IsCancellationRequested)
        {
            return ValueTask.FromCanceled<bool>(cancellationToken);
        }

        TaskCompletionSource<bool> waiter;
        lock (_gate)
        {
            if (_items.Count > 0)
            {
                return new ValueTask<bool>(true);
            }

            if (_doneWriting is not null)
            {
                return _doneWriting == s_doneWritingSentinel
                    ? new ValueTask<bool>(false)
                    : ValueTask.FromException<bool>(_doneWriting);
            }

            waiter = _readWaiter ??= new TaskCompletionSource<bool>(TaskCreationOptions.RunContinuationsAsynchronously);
        }

        return new ValueTask<bool>(waiter.Task.WaitAsync(cancellationToken));
    }

    private bool TryCompleteCore(Exception? error)
    {
        TaskCompletionSource<bool>? waiter;
        TaskCompletionSource<bool>? writeWaiter;
        bool drained;
        lock (_gate)
        {
            if (_doneWriting is not null)
            {
                return false;
            }

            _doneWriting = error ?? s_doneWritingSentinel;
            waiter = _readWaiter;
            _readWaiter = null;
            writeWaiter = _writeWaiter;
            _writeWaiter = null;
            drained = _items.Count == 0;
        }

        writeWaiter?.TrySetResult(false);

        if (waiter is not null)
        {
            // A parked reader only exists while the buffer is empty, so it learns the outcome now.
            if (error is null)
            {
                waiter.TrySetResult(false);
            }
            else if (waiter.TrySetException(error))
            {
                // A reader that gave up waiting (cancelled) never observes this; the error reaches readers anyway.
                _ = waiter.Task.Exception;
            }
        }

        // Writers parked for room must wake up to see that the buffer is closed.
        _backpressure?.Reset();

        if (drained)
        {
            SignalCompletion();
        }

        return true;
    }

    private void SignalCompletion()
    {
        Exception? error = Volatile.Read(ref _doneWriting);
        if (error is null || error == s_doneWritingSentinel)
        {
            _completion.TrySetResult();
        }
        else if (error is OperationCanceledException oce)
        {
            _completion.TrySetCanceled(oce.CancellationToken);
        }
        else if (_completion.TrySetException(error))
        {
            // As System.Threading.Channels does: the error reaches readers through WaitToReadAsync, and nobody has to
            // await Completion, so an unobserved Completion must not raise UnobservedTaskException.
            _ = _completion.Task.Exception;
        }
    }

    private async ValueTask WriteCoreAsync(T item, CancellationToken cancellationToken)
    {
        while (true)
        {
            cancellationToken.ThrowIfCancellationRequested();
            if (TryWriteCore(item))
            {
                return;
            }

            Exception? done = Volatile.Read(ref _doneWriting);
            if (done is not null)
            {
                throw done == s_doneWritingSentinel ? new ChannelClosedException() : new ChannelClosedException(done);
            }

            if (Strategy == OverflowStrategy.Reject)
            {
                throw new BufferFullException(Capacity);
            }

            if (_backpressure is null)
            {
                throw new BufferFullException(MaxCount, $"The buffer holds its most items ({MaxCount}, MaxCount) and its {Strategy} strategy can neither drop nor merge the item.");
            }

            await _backpressure!.WaitAsync(cancellationToken).ConfigureAwait(false);
        }
    }

    private ValueTask<bool> WaitToWriteCore(CancellationToken cancellationToken)
    {
        if (cancellationToken.IsCancellationRequested)
        {
            return ValueTask.FromCanceled<bool>(cancellationToken);
        }

        if (_backpressure is null)
        {
            TaskCompletionSource<bool> waiter;
            lock (_gate)
            {
                if (_doneWriting is not null)
                {
                    return new ValueTask<bool>(false);
                }

                if (HasWriteRoomLocked())
                {
                    return new ValueTask<bool>(true);
                }

                waiter = _writeWaiter ??= new TaskCompletionSource<bool>(TaskCreationOptions.RunContinuationsAsynchronously);
            }

            return new ValueTask<bool>(waiter.Task.WaitAsync(cancellationToken));
        }

        if (Volatile.Read(ref _doneWriting) is not null)
        {
            return new ValueTask<bool>(false);
        }

        return WaitForRoomAsync(cancellationToken);

        async ValueTask<bool> WaitForRoomAsync(CancellationToken ct)
        {
            await _backpressure.WaitAsync(ct).ConfigureAwait(false);
            return Volatile.Read(ref _doneWriting) is null;
        }
    }

    private sealed class BufferReader(ResponseBuffer<T> buffer) : ChannelReader<T>
    {
        public override Task Completion => buffer._completion.Task;

        public override bool CanCount => true;

        public override bool CanPeek => true;

        public override int Count
        {
            get
            {
                lock (buffer._gate)
                {
                    return buffer._items.Count;
                }
            }
        }

        public override bool TryRead([MaybeNullWhen(false)] out T item) => buffer.TryReadCore(out item);

        public override bool TryPeek([MaybeNullWhen(false)] out T item)
        {
            lock (buffer._gate)
            {
                if (buffer._items.Count == 0)
                {
                    item = default;
                    return false;
                }

                item = buffer._items[0];
                return true;
            }
        }

        public override ValueTask<bool> WaitToReadAsync(CancellationToken cancellationToken = default)
            => buffer.WaitToReadCore(cancellationToken);
    }

    private sealed class BufferWriter(ResponseBuffer<T> buffer) : ChannelWriter<T>
    {
        public override bool TryWrite(T item) => buffer.TryWriteCore(item);

        public override ValueTask WriteAsync(T item, CancellationToken cancellationToken = default)
            => buffer.TryWriteCore(item) ? default : buffer.WriteCoreAsync(item, cancellationToken);

        public override ValueTask<bool> WaitToWriteAsync(CancellationToken cancellationToken = default)
            => buffer.WaitToWriteCore(cancellationToken);

        public override bool TryComplete(Exception? error = null) => buffer.TryCompleteCore(error);
    }
}
