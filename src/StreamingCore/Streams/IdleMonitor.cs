namespace StreamingCore;

/// <summary>
/// Calls back once when nothing was <see cref="Touch()"/>ed for a timeout, on a <see cref="TimeProvider"/> timer.
/// Touching only records a timestamp: the timer is not rescheduled per item, it checks the elapsed time
/// when it fires and re-arms for the remainder.
/// </summary>
internal sealed class IdleMonitor : IDisposable
{
    // The clock.
    private readonly TimeProvider _timeProvider;

    // How long without a touch counts as idle.
    private readonly TimeSpan _timeout;

    // Called once, on the timer's thread, when idle.
    private readonly Action _onIdle;

    // The timer; null when the timeout is infinite.
    private readonly ITimer? _timer;

    // TimeProvider timestamp of the last touch.
    private long _lastActivity;

    public IdleMonitor(TimeProvider timeProvider, TimeSpan timeout, Action onIdle)
    {
        _timeProvider = timeProvider;
        _timeout = timeout;
        _onIdle = onIdle;
        _lastActivity = timeProvider.GetTimestamp();
        if (timeout != Timeout.InfiniteTimeSpan)
        {
            _timer = timeProvider.CreateTimer(static s => ((IdleMonitor)s!).OnTimer(), this, timeout, Timeout.InfiniteTimeSpan);
        }
    }

    public void Touch() => Touch(_timeProvider.GetTimestamp());

    /// <summary>Records activity at a timestamp the caller already took from the same TimeProvider (saves a clock read per item).</summary>
    public void Touch(long timestamp) => Volatile.Write(ref _lastActivity, timestamp);

    private void OnTimer()
    {
        if (ConfirmIdle())
        {
            _onIdle();
        }
    }

    /// <summary>
    /// Whether nothing was touched for the timeout; if something was, re-arms for the remainder and returns false. A
    /// callback that takes a lock calls this again under it, because a touch may have won the race to that lock.
    /// </summary>
    public bool ConfirmIdle()
    {
        TimeSpan idle = _timeProvider.GetElapsedTime(Volatile.Read(ref _lastActivity));
        if (idle >= _timeout)
        {
            return true;
        }

        _timer?.Change(_timeout - idle, Timeout.InfiniteTimeSpan);
        return false;
    }

    public void Dispose() => _timer?.Dispose();
}
