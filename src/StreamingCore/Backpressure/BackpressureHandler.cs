using System.Diagnostics;

namespace StreamingCore;

/// <summary>
/// Tracks a level (bytes, items, characters: any unit) against high and low watermarks with hysteresis:
/// reaching the high watermark pauses, falling to the low watermark resumes, so a producer does not
/// thrash between the two on every item. <see cref="WaitAsync"/> completes when the producer may go on.
/// </summary>
/// <remarks>Thread-safe. Waiters are resumed asynchronously, never inline on the thread that releases.</remarks>
[DebuggerDisplay("Level = {Level}, Paused = {IsPaused}")]
public sealed class BackpressureHandler
{
    // Guards _level, _paused and _resumed.
    private readonly object _gate = new();

    // The current level.
    private long _level;

    // True from reaching HighWatermark until falling to LowWatermark.
    private bool _paused;

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
    public long Level
    {
        get
        {
            lock (_gate)
            {
                return _level;
            }
        }
    }

    /// <summary>Gets a value indicating whether the handler is paused: the producer should wait.</summary>
    public bool IsPaused
    {
        get
        {
            lock (_gate)
            {
                return _paused;
            }
        }
    }

    /// <summary>Raises the level, pausing when it reaches <see cref="HighWatermark"/>.</summary>
    /// <param name="amount">How much was added; not negative.</param>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="amount"/> is negative.</exception>
    public void Add(long amount)
    {
        Guard.NotNegative(amount);
        lock (_gate)
        {
            _level += amount;
            if (_level >= HighWatermark)
            {
                _paused = true;
            }
        }
    }

    /// <summary>Lowers the level, resuming waiters when a pause reaches <see cref="LowWatermark"/>.</summary>
    /// <param name="amount">How much was consumed; not negative and not more than <see cref="Level"/>.</param>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="amount"/> is negative or more than the level.</exception>
    public void Release(long amount)
    {
        Guard.NotNegative(amount);
        TaskCompletionSource? resumed = null;
        lock (_gate)
        {
            if (amount > _level)
            {
                throw new ArgumentOutOfRangeException(nameof(amount), amount, $"Cannot release {amount}: the level is {_level}.");
            }

            _level -= amount;
            if (_paused && _level <= LowWatermark)
            {
                _paused = false;
                (resumed, _resumed) = (_resumed, null);
            }
        }

        resumed?.TrySetResult();
    }

    /// <summary>Sets the level to zero and resumes every waiter (for example when the stream it guards is closed).</summary>
    public void Reset()
    {
        TaskCompletionSource? resumed;
        lock (_gate)
        {
            _level = 0;
            _paused = false;
            (resumed, _resumed) = (_resumed, null);
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

        TaskCompletionSource resumed;
        lock (_gate)
        {
            if (!_paused)
            {
                return default;
            }

            resumed = _resumed ??= new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        }

        return new ValueTask(resumed.Task.WaitAsync(cancellationToken));
    }
}
