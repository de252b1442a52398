using System.Diagnostics;
using System.Diagnostics.CodeAnalysis;
using System.Runtime.InteropServices;
using System.Threading.Channels;
using System.Threading.Tasks.Sources;

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

    // The queued items, oldest first; past Capacity only by items CanDrop pins or Coalesce cannot merge, never past MaxCount.
    // It is also the lock that guards every mutable field below (one object fewer per buffer: a server holds one per subscriber).
    private readonly RingBuffer<T> _items = new();

    // Completed when no more items will ever be read: writing is done and _items is drained. Created when Completion is first
    // asked for or when the buffer completes, so that a buffer nobody awaits the completion of never allocates it.
    private TaskCompletionSource? _completion;

    // 1 once the buffer signalled completion (Completion, if created later, is completed at once).
    private int _completionSignalled;

    // The capacity, strategy and callbacks, copied from the options at construction; shared by the buffers built from one
    // Settings (the chat store's subscriber queues), which saves their bytes in every queue.
    private readonly Settings _settings;

    // Wait strategy only: tracks the count against capacity and resume point, and parks writers.
    private readonly BackpressureHandler? _backpressure;

    // The count last reported to _backpressure. It is told only at its watermarks (the count reaching Capacity, or falling to
    // the resume point while paused), which are the only points where it decides anything: a per-item Add and Release made
    // the writer and the reader on two cores share its level's cache line on every item.
    private int _reportedCount;

    // The reader parked in WaitToReadAsync on the reusable wait (ReaderWait's IValueTaskSource): no allocation per wait.
    private bool _readerParked;

    // Further readers parked in WaitToReadAsync while the reusable wait is taken; completed by the next write or by completion.
    private TaskCompletionSource<bool>? _readWaiter;

    // Writers parked in WaitToWriteAsync (every strategy but Wait); completed true by a read that frees a slot, false by completion.
    private TaskCompletionSource<bool>? _writeWaiter;

    // Null while writing is allowed; s_doneWritingSentinel or the completion error afterwards.
    private Exception? _doneWriting;

    // Items dropped and merged, and failed ItemDropped calls; created at the first drop or merge, so that a queue that never
    // overflows (an idle subscriber's) holds 8 bytes for them, not 24.
    private Counters? _counters;

    /// <summary>Initializes a new buffer.</summary>
    /// <param name="options">The capacity, strategy and callbacks.</param>
    /// <exception cref="ArgumentNullException"><paramref name="options"/> is null.</exception>
    /// <exception cref="ArgumentOutOfRangeException">The capacity is not positive, the resume point is not below it, or MaxCount is below it.</exception>
    /// <exception cref="ArgumentException">The strategy is undefined, or <see cref="OverflowStrategy.Coalesce"/> has no merge function.</exception>
    public ResponseBuffer(ResponseBufferOptions<T> options)
        : this(new Settings(options))
    {
    }

    /// <summary>Initializes a new buffer with settings already validated, shared with other buffers.</summary>
    internal ResponseBuffer(Settings settings)
    {
        _settings = settings;
        if (settings.Strategy == OverflowStrategy.Wait)
        {
            _backpressure = new BackpressureHandler(new BackpressureOptions { HighWatermark = settings.Capacity, LowWatermark = settings.ResumeWritingAt });
        }

        Reader = new BufferReader(this);
        Writer = new BufferWriter(this);
    }

    // The reader, which is also the reusable wait of WaitToReadAsync (Reader itself, not a field more per buffer).
    private BufferReader ReaderWait => (BufferReader)Reader;

    // The lock (see _items).
    private object Gate => _items;

    /// <summary>Gets the number of items held before the overflow strategy applies.</summary>
    public int Capacity => _settings.Capacity;

    /// <summary>
    /// Gets the most items the buffer ever holds (<see cref="ResponseBufferOptions{T}.MaxCount"/>, by default twice
    /// <see cref="Capacity"/>): past it, a write the strategy would keep is refused as under <see cref="OverflowStrategy.Reject"/>.
    /// </summary>
    public int MaxCount => _settings.MaxCount;

    /// <summary>Gets the overflow strategy.</summary>
    public OverflowStrategy Strategy => _settings.Strategy;

    /// <summary>Gets how many items have been dropped by <see cref="OverflowStrategy.DropOldest"/> or <see cref="OverflowStrategy.DropNewest"/>.</summary>
    public long DroppedCount => Volatile.Read(ref _counters) is { } counters ? Interlocked.Read(ref counters.Dropped) : 0;

    /// <summary>Gets how many incoming items have been merged into queued ones by <see cref="OverflowStrategy.Coalesce"/>.</summary>
    public long MergedCount => Volatile.Read(ref _counters) is { } counters ? Interlocked.Read(ref counters.Merged) : 0;

    /// <summary>
    /// Gets how many times <see cref="ResponseBufferOptions{T}.ItemDropped"/> threw. Such an exception never escapes
    /// the write that dropped the item (the write happened: <c>TryWrite</c> returns <see langword="true"/> and
    /// <c>WriteAsync</c> succeeds); it is counted here instead and the buffer keeps working.
    /// </summary>
    public long CallbackFailureCount => Volatile.Read(ref _counters) is { } counters ? Interlocked.Read(ref counters.CallbackFailures) : 0;

    // The counters, created under the lock at the first drop or merge; written under the lock, but for failed callbacks.
    private Counters CountersLocked
    {
        get
        {
            if (_counters is not { } counters)
            {
                counters = new Counters();
                Volatile.Write(ref _counters, counters);
            }

            return counters;
        }
    }

    /// <summary>What <c>Writer.TryWrite</c> does; the chat store calls it directly, one indirection less per event and subscriber.</summary>
    internal bool TryWriteCore(T item)
    {
        bool dropped = false;
        T droppedItem = default!;
        Wake waiter = default;

        lock (Gate)
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
                CountersLocked.Dropped++;
            }
        }

        waiter.Signal(ReaderWait);
        if (dropped)
        {
            ReportDropped(droppedItem);
        }

        return true;
    }

    private void ReportDropped(T item)
    {
        if (_settings.ItemDropped is not { } itemDropped)
        {
            return;
        }

        try
        {
            itemDropped(item);
        }
        catch (Exception)
        {
            // The write already happened, so the writer must see success; the count keeps the failure visible.
            // Outside the lock, after the drop that created the counters.
            Interlocked.Increment(ref _counters!.CallbackFailures);
        }
    }

    private bool HasRoomLocked()
        => _backpressure is { } bp ? !bp.IsPaused : _items.Count < Capacity;

    // Whether any write would succeed now, for WaitToWriteAsync. At MaxCount a write the strategy can drop or merge
    // would still succeed, but one it would keep would not: like Reject, wait for a read rather than let a writer spin.
    private bool HasWriteRoomLocked()
        => _items.Count < (Strategy == OverflowStrategy.Reject ? Capacity : MaxCount);

    // Wait strategy: after a read, a paused handler learns the count once it is down to the resume point.
    private void ReportReadLocked()
    {
        if (_backpressure is { IsPaused: true } bp && _items.Count <= bp.LowWatermark)
        {
            ReportCountLocked();
        }
    }

    private void ReportCountLocked()
    {
        int delta = _items.Count - _reportedCount;
        if (delta > 0)
        {
            _backpressure!.Add(delta);
        }
        else if (delta < 0)
        {
            _backpressure!.Release(-delta);
        }

        _reportedCount = _items.Count;
    }

    private void AddLocked(T item, ref Wake waiter)
    {
        _items.AddLast(item);
        if (_backpressure is not null && _items.Count >= Capacity)
        {
            ReportCountLocked();
        }

        // Only the first item after a wait wakes the reader: a burst written before it runs costs one wake-up.
        waiter = new Wake(_readerParked, _readWaiter);
        _readerParked = false;
        _readWaiter = null;
    }

    // A consumer that stopped reading must not make the queue (and every write's scan of it) grow without bound.
    private bool TryAddPastCapacityLocked(T item, ref Wake waiter)
    {
        if (_items.Count >= MaxCount)
        {
            return false;
        }

        AddLocked(item, ref waiter);
        return true;
    }

    private bool CanDrop(T item) => _settings.CanDrop is not { } canDrop || canDrop(item);

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
            switch (_settings.Merge!(_items[i], item, out T merged))
            {
                case MergeResult.Merged:
                    _items[i] = merged;
                    CountersLocked.Merged++;
                    return true;
                case MergeResult.Blocked:
                    return false;
            }
        }

        return false;
    }

    /// <summary>
    /// Takes up to <paramref name="destination"/>'s length of items under one acquisition of the lock: what that many
    /// <c>TryRead</c> calls in a row would return. A reader on another thread than the writer takes the lock once per burst
    /// instead of once per item, so the writer (the producer, in the chat store) rarely finds it held.
    /// </summary>
    /// <returns>How many items were taken; 0 when none is queued.</returns>
    internal int TryReadMany(Span<T> destination)
    {
        bool completed;
        int taken;
        TaskCompletionSource<bool>? writeWaiter = null;
        lock (Gate)
        {
            taken = Math.Min(destination.Length, _items.Count);
            if (taken == 0)
            {
                return 0;
            }

            for (int i = 0; i < taken; i++)
            {
                destination[i] = _items.RemoveFirst();
            }

            if (_doneWriting is null)
            {
                // After completion the level was reset to wake writers; nothing is tracked any more.
                ReportReadLocked();
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

        return taken;
    }

    // One item is a burst of one: the same lock, accounting and wake-ups as TryReadMany.
    private bool TryReadCore([MaybeNullWhen(false)] out T item)
    {
        item = default;
        return TryReadMany(MemoryMarshal.CreateSpan(ref item!, 1)) == 1;
    }

    private ValueTask<bool> WaitToReadCore(CancellationToken cancellationToken)
        => TryParkReader(cancellationToken, forwarded: false, out ValueTask<bool> ready, out short token)
            ? new ValueTask<bool>(ReaderWait, token)
            : ready;

    /// <summary>
    /// WaitToReadAsync for the one reader that hands the queue's reusable wait to its own caller (the chat store's subscription,
    /// whose MoveNextAsync completes when this wait does, with no continuation and no wait object of its own).
    /// </summary>
    /// <param name="cancellationToken">Cancels the wait.</param>
    /// <param name="ready">When it need not wait, what WaitToReadAsync would return (completed).</param>
    /// <param name="token">When it waits, the token of the wait on <see cref="ReadWait"/>.</param>
    /// <returns>True when it waits on <see cref="ReadWait"/>; false when <paramref name="ready"/> is the outcome.</returns>
    /// <exception cref="InvalidOperationException">Another reader owns the reusable wait: the caller must be the only reader.</exception>
    internal bool TryParkReader(CancellationToken cancellationToken, out ValueTask<bool> ready, out short token)
        => TryParkReader(cancellationToken, forwarded: true, out ready, out token);

    /// <summary>The reusable wait that <see cref="TryParkReader(CancellationToken, out ValueTask{bool}, out short)"/> parks on.</summary>
    internal IValueTaskSource<bool> ReadWait => ReaderWait;

    private bool TryParkReader(CancellationToken cancellationToken, bool forwarded, out ValueTask<bool> ready, out short token)
    {
        token = 0;
        if (cancellationToken.IsCancellationRequested)
        {
            ready = ValueTask.FromCanceled<bool>(cancellationToken);
            return false;
        }

        TaskCompletionSource<bool> waiter;
        lock (Gate)
        {
            if (_items.Count > 0)
            {
                ready = new ValueTask<bool>(true);
                return false;
            }

            if (_doneWriting is not null)
            {
                ready = _doneWriting == s_doneWritingSentinel
                    ? new ValueTask<bool>(false)
                    : ValueTask.FromException<bool>(_doneWriting);
                return false;
            }

            // The usual case, one reader: the reusable wait, as Channel<T>'s own readers wait.
            if (!_readerParked && ReaderWait.TryOwn())
            {
                // Parked before the token is registered: a token cancelled meanwhile calls back at once and must find the wait.
                _readerParked = true;
                token = ReaderWait.Arm(cancellationToken);
                ready = default;
                return true;
            }

            if (forwarded)
            {
                // The caller returns the wait itself to its own awaiter, which a task-backed wait cannot be.
                throw new InvalidOperationException("Another reader waits on this buffer; the forwarded wait requires a single reader.");
            }

            waiter = _readWaiter ??= new TaskCompletionSource<bool>(TaskCreationOptions.RunContinuationsAsynchronously);
        }

        ready = new ValueTask<bool>(waiter.Task.WaitAsync(cancellationToken));
        return false;
    }

    /// <summary>The parked reader's token was cancelled: it stops waiting, unless a write or the completion woke it first.</summary>
    private void OnReaderCanceled(CancellationToken cancellationToken)
    {
        lock (Gate)
        {
            if (!_readerParked)
            {
                return;
            }

            _readerParked = false;
        }

        ReaderWait.Complete(new OperationCanceledException(cancellationToken));
    }

    private bool TryCompleteCore(Exception? error)
    {
        bool readerParked;
        TaskCompletionSource<bool>? waiter;
        TaskCompletionSource<bool>? writeWaiter;
        bool drained;
        lock (Gate)
        {
            if (_doneWriting is not null)
            {
                return false;
            }

            _doneWriting = error ?? s_doneWritingSentinel;
            readerParked = _readerParked;
            _readerParked = false;
            waiter = _readWaiter;
            _readWaiter = null;
            writeWaiter = _writeWaiter;
            _writeWaiter = null;
            drained = _items.Count == 0;
        }

        writeWaiter?.TrySetResult(false);

        if (readerParked)
        {
            // Like a parked TaskCompletionSource below: the parked reader learns the outcome now.
            ReaderWait.Complete(error ?? s_doneWritingSentinel);
        }

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
        // A full fence before reading _completion: either a Completion created concurrently sees the flag, or this sees it.
        Interlocked.Exchange(ref _completionSignalled, 1);
        if (Volatile.Read(ref _completion) is { } completion)
        {
            Complete(completion);
        }
    }

    private Task CompletionTask
    {
        get
        {
            if (Volatile.Read(ref _completion) is { } existing)
            {
                return existing.Task;
            }

            var created = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            if (Interlocked.CompareExchange(ref _completion, created, null) is { } raced)
            {
                return raced.Task;
            }

            if (Volatile.Read(ref _completionSignalled) == 1)
            {
                Complete(created);
            }

            return created.Task;
        }
    }

    private void Complete(TaskCompletionSource completion)
    {
        Exception? error = Volatile.Read(ref _doneWriting);
        if (error is null || error == s_doneWritingSentinel)
        {
            completion.TrySetResult();
        }
        else if (error is OperationCanceledException oce)
        {
            completion.TrySetCanceled(oce.CancellationToken);
        }
        else if (completion.TrySetException(error))
        {
            // As System.Threading.Channels does: the error reaches readers through WaitToReadAsync, and nobody has to
            // await Completion, so an unobserved Completion must not raise UnobservedTaskException.
            _ = completion.Task.Exception;
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
            lock (Gate)
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

    /// <summary>
    /// A buffer's capacity, strategy and callbacks, validated and copied from its options. Immutable, so that buffers built
    /// alike can share one: the chat store builds every subscriber queue from one, instead of each queue holding them.
    /// </summary>
    internal sealed class Settings
    {
        /// <summary>Validates and copies the options, as the public constructor does.</summary>
        /// <exception cref="ArgumentNullException"><paramref name="options"/> is null.</exception>
        /// <exception cref="ArgumentOutOfRangeException">The capacity is not positive, the resume point is not below it, or MaxCount is below it.</exception>
        /// <exception cref="ArgumentException">The strategy is undefined, or <see cref="OverflowStrategy.Coalesce"/> has no merge function.</exception>
        public Settings(ResponseBufferOptions<T> options)
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
            Merge = options.Merge;
            CanDrop = options.CanDrop;
            ItemDropped = options.ItemDropped;

            if (Strategy == OverflowStrategy.Wait)
            {
                int resumeAt = options.ResumeWritingAt ?? Capacity / 2;
                if (resumeAt < 0 || resumeAt >= Capacity)
                {
                    throw new ArgumentOutOfRangeException(nameof(options), resumeAt, "ResumeWritingAt must be at least 0 and less than Capacity.");
                }

                ResumeWritingAt = resumeAt;
            }
        }

        public int Capacity { get; }

        public int MaxCount { get; }

        public OverflowStrategy Strategy { get; }

        public ResponseBufferMerge<T>? Merge { get; }

        public Func<T, bool>? CanDrop { get; }

        public Action<T>? ItemDropped { get; }

        /// <summary>Where writers resume under <see cref="OverflowStrategy.Wait"/>; 0 under the other strategies.</summary>
        public int ResumeWritingAt { get; }
    }

    /// <summary>What the buffer counts when it overflows; see <see cref="_counters"/>.</summary>
    private sealed class Counters
    {
        public long Dropped;
        public long Merged;
        public long CallbackFailures;
    }

    /// <summary>Whom a write wakes: the reader parked on the reusable wait, and any other reader parked on a task.</summary>
    private readonly struct Wake(bool readerParked, TaskCompletionSource<bool>? waiter)
    {
        public void Signal(BufferReader reader)
        {
            if (readerParked)
            {
                reader.Complete(null);
            }

            waiter?.TrySetResult(true);
        }
    }

    /// <summary>
    /// The reader, and the reusable wait of <see cref="ChannelReader{T}.WaitToReadAsync"/> (an <see cref="IValueTaskSource{TResult}"/>,
    /// as Channel&lt;T&gt;'s readers have): one reader at a time owns it, from the wait until it takes the result.
    /// </summary>
    private sealed class BufferReader(ResponseBuffer<T> buffer) : ChannelReader<T>, IValueTaskSource<bool>
    {
        // The wait's result and continuation; its continuation always runs asynchronously, never inline on the writer's thread.
        private ManualResetValueTaskSourceCore<bool> _core = new() { RunContinuationsAsynchronously = true };

        // Cancels the wait when its token is cancelled; default when the token cannot be.
        private CancellationTokenRegistration _registration;

        // 1 from a wait until its result is taken: a second reader waiting meanwhile uses a task instead.
        private int _owned;

        /// <summary>Takes the reusable wait for a new wait, under the buffer's lock; false when another reader owns it.</summary>
        public bool TryOwn() => Interlocked.CompareExchange(ref _owned, 1, 0) == 0;

        /// <summary>Starts the owned wait, under the buffer's lock; returns its token.</summary>
        public short Arm(CancellationToken cancellationToken)
        {
            _core.Reset();
            short token = _core.Version;

            // Registered under the lock, so a wake-up cannot slip between the park and the registration; a token cancelled
            // already calls back at once, and the callback re-enters the lock (Monitor is reentrant) and ends the wait.
            if (cancellationToken.CanBeCanceled)
            {
                _registration = cancellationToken.UnsafeRegister(static (state, ct) => ((BufferReader)state!).OnCanceled(ct), this);
            }

            return token;
        }

        private void OnCanceled(CancellationToken cancellationToken) => buffer.OnReaderCanceled(cancellationToken);

        /// <summary>Ends the wait: more to read (null), or the buffer's outcome; called once per wait, outside the lock.</summary>
        public void Complete(Exception? error)
        {
            if (error is null)
            {
                _core.SetResult(true);
            }
            else if (error == s_doneWritingSentinel)
            {
                _core.SetResult(false);
            }
            else
            {
                _core.SetException(error);
            }
        }

        public bool GetResult(short token)
        {
            try
            {
                return _core.GetResult(token);
            }
            finally
            {
                // Outside the buffer's lock: disposing waits for a callback that is running, and that callback takes the lock.
                _registration.Dispose();
                _registration = default;
                Volatile.Write(ref _owned, 0);
            }
        }

        public ValueTaskSourceStatus GetStatus(short token) => _core.GetStatus(token);

        public void OnCompleted(Action<object?> continuation, object? state, short token, ValueTaskSourceOnCompletedFlags flags)
            => _core.OnCompleted(continuation, state, token, flags);

        public override Task Completion => buffer.CompletionTask;

        public override bool CanCount => true;

        public override bool CanPeek => true;

        public override int Count
        {
            get
            {
                lock (buffer.Gate)
                {
                    return buffer._items.Count;
                }
            }
        }

        public override bool TryRead([MaybeNullWhen(false)] out T item) => buffer.TryReadCore(out item);

        public override bool TryPeek([MaybeNullWhen(false)] out T item)
        {
            lock (buffer.Gate)
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
