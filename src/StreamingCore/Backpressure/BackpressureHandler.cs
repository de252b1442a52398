using System.Diagnostics;

namespace StreamingCore;

/// <summary>
/// Tracks a level (bytes, items, characters: any unit) against high and low watermarks with hysteresis:
/// reaching the high watermark pauses, falling to the low watermark resumes, so a producer does not
/// thrash between the two on every item. <see cref="WaitAsync"/> completes when the producer may go on.
/// </summary>
/// <remarks>Thread-safe; adding and releasing take no lock unless they cross a watermark. Waiters are resumed asynchronously, never inline on the thread that releases.</remarks>
[DebuggerDisplay("Level = {Level}, Paused = {IsPaused}")]
public sealed class BackpressureHandler
{
    // Guards the changes of _paused and _resumed. The level itself changes without it (Interlocked): a producer and a consumer
    // that add and release per item on two cores take the lock only when they cross a watermark, not on every item.
    private readonly object _gate = new();

    // The current level.
    private long _level;

    // 1 from reaching HighWatermark until falling to LowWatermark; written under _gate with a full fence, read without it.
    private int _paused;

    // Completed when a pause ends; created by the first waiter of a pause.
    private TaskCompletionSource? _resumed;

    /// <summary>Initializes a new handler.</summary>
    /// <param name="options">The watermarks.</param>
    /// <exception cref="ArgumentNullException"><paramref name="options"/> is null.</exception>
    /// <exception cref="ArgumentOutOfRangeException">HighWatermark is not positive, or LowWatermark is negative or not below HighWatermark.</exception>
    public BackpressureHandler(BackpressureOptions options)
    {
        Guard.NotNull(options);
        if (options.HighWatermark <= 0)
        {
            throw new ArgumentOutOfRangeException(nameof(options), options.HighWatermark, "HighWatermark must be greater than zero.");
        }

        if (options.LowWatermark < 0 || options.LowWatermark >= options.HighWatermark)
        {
            throw new ArgumentOutOfRangeException(nameof(options), options.LowWatermark, "LowWatermark must be at least 0 and less than HighWatermark.");
        }

        HighWatermark = options.HighWatermark;
        LowWatermark = options.LowWatermark;
    }

    /// <summary>Gets the level at or above which the handler pauses.</summary>
    public long HighWatermark { get; }

    /// <summary>Gets the level at or below which a paused handler resumes.</summary>
    public long LowWatermark { get; }

    /// <summary>Gets the current level.</summary>
    public long Level => Interlocked.Read(ref _level);

    /// <summary>Gets a value indicating whether the handler is paused: the producer should wait.</summary>
    public bool IsPaused => Volatile.Read(ref _paused) == 1;

    /// <summary>Raises the level, pausing when it reaches <see cref="HighWatermark"/>.</summary>
    /// <param name="amount">How much was added; not negative.</param>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="amount"/> is negative.</exception>
    public void Add(long amount)
    {
        Guard.NotNegative(amount);
        if (Interlocked.Add(ref _level, amount) < HighWatermark || IsPaused)
        {
            return;
        }

        TaskCompletionSource? resumed = null;
        lock (_gate)
        {
            if (_paused == 0 && Interlocked.Read(ref _level) >= HighWatermark)
            {
                // The exchange is a full fence before the level is read again: a Release that lowered the level to the low
                // watermark without seeing this pause is seen here, and the pause ends at once (or that Release sees the pause).
                Interlocked.Exchange(ref _paused, 1);
                if (Interlocked.Read(ref _level) <= LowWatermark)
                {
                    resumed = ResumeLocked();
                }
            }
        }

        resumed?.TrySetResult();
    }

    /// <summary>Lowers the level, resuming waiters when a pause reaches <see cref="LowWatermark"/>.</summary>
    /// <param name="amount">How much was consumed; not negative and not more than <see cref="Level"/>.</param>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="amount"/> is negative or more than the level.</exception>
    public void Release(long amount)
    {
        Guard.NotNegative(amount);
        long level = Interlocked.Read(ref _level);
        while (true)
        {
            if (amount > level)
            {
                throw new ArgumentOutOfRangeException(nameof(amount), amount, $"Cannot release {amount}: the level is {level}.");
            }

            long seen = Interlocked.CompareExchange(ref _level, level - amount, level);
            if (seen == level)
            {
                level -= amount;
                break;
            }

            level = seen;
        }

        // The exchange above is a full fence before _paused is read (see Add).
        if (level > LowWatermark || !IsPaused)
        {
            return;
        }

        TaskCompletionSource? resumed = null;
        lock (_gate)
        {
            if (_paused == 1 && Interlocked.Read(ref _level) <= LowWatermark)
            {
                resumed = ResumeLocked();
            }
        }

        resumed?.TrySetResult();
    }

    // Ends the pause; returns the waiters to resume, outside the lock.
    private TaskCompletionSource? ResumeLocked()
    {
        Volatile.Write(ref _paused, 0);
        (TaskCompletionSource? resumed, _resumed) = (_resumed, null);
        return resumed;
    }

    /// <summary>Sets the level to zero and resumes every waiter (for example when the stream it guards is closed).</summary>
    public void Reset()
    {
        TaskCompletionSource? resumed;
        lock (_gate)
        {
            Interlocked.Exchange(ref _level, 0);
            resumed = ResumeLocked();
        }

        resumed?.TrySetResult();
    }

    /// <summary>Completes at once when not paused; otherwise when the level falls to <see cref="LowWatermark"/>.</summary>
    /// <param name="cancellationToken">Cancels the wait.</param>
    /// <returns>A task that completes when the producer may go on.</returns>
    public ValueTask WaitAsync(CancellationToken cancellationToken = default)
    {
        if (cancellationToken.IsCancellationRequested)
        {
            return ValueTask.FromCanceled(cancellationToken);
        }

        if (!IsPaused)
        {
            return default;
        }

        TaskCompletionSource resumed;
        lock (_gate)
        {
            if (_paused == 0)
            {
                return default;
            }

            resumed = _resumed ??= new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        }

        return new ValueTask(resumed.Task.WaitAsync(cancellationToken));
    }
}
