namespace StreamingCore.AspNetCore.Tests.Support;

/// <summary>
/// A clock whose timers fire only when a test fires them, on the test's thread, and that allocates nothing to re-arm or
/// fire one: an allocation measure around it counts the code under test alone (a <c>FakeTimeProvider</c> allocates as it
/// advances).
/// </summary>
internal sealed class ManualTimeProvider : TimeProvider
{
    private readonly object _gate = new();
    private readonly List<ManualTimer> _timers = [];

    public override ITimer CreateTimer(TimerCallback callback, object? state, TimeSpan dueTime, TimeSpan period)
    {
        var timer = new ManualTimer(this, callback, state);
        lock (_gate)
        {
            _timers.Add(timer);
        }

        timer.Change(dueTime, period);
        return timer;
    }

    /// <summary>How many timers were created with any due time.</summary>
    public int TimersCreated
    {
        get
        {
            lock (_gate)
            {
                return _timers.Count;
            }
        }
    }

    /// <summary>
    /// Waits until a timer is armed with <paramref name="dueTime"/> (blocking: an async wait would allocate), then fires it
    /// once on this thread.
    /// </summary>
    public void FireWhenArmed(TimeSpan dueTime)
    {
        ManualTimer due;
        lock (_gate)
        {
            due = WaitUntilArmedLocked(dueTime);
            due.DueTime = Timeout.InfiniteTimeSpan;
        }

        due.Fire();
    }

    /// <summary>Waits until a timer is armed with <paramref name="dueTime"/>, without firing it.</summary>
    public void WaitUntilArmed(TimeSpan dueTime)
    {
        lock (_gate)
        {
            WaitUntilArmedLocked(dueTime);
        }
    }

    private ManualTimer WaitUntilArmedLocked(TimeSpan dueTime)
    {
        ManualTimer? due;
        while ((due = Find(dueTime)) is null)
        {
            if (!Monitor.Wait(_gate, TimeSpan.FromSeconds(60)))
            {
                throw new TimeoutException($"No timer was armed with {dueTime}.");
            }
        }

        return due;
    }

    // A loop, not List.Find: a lambda capturing dueTime would allocate on every call.
    private ManualTimer? Find(TimeSpan dueTime)
    {
        foreach (ManualTimer timer in _timers)
        {
            if (timer.DueTime == dueTime)
            {
                return timer;
            }
        }

        return null;
    }

    private void Armed() => Monitor.PulseAll(_gate);

    /// <summary>A one-shot timer: armed by a finite due time, disarmed when it fires (the period is not used).</summary>
    private sealed class ManualTimer(ManualTimeProvider time, TimerCallback callback, object? state) : ITimer
    {
        public TimeSpan DueTime { get; set; } = Timeout.InfiniteTimeSpan;

        public bool Change(TimeSpan dueTime, TimeSpan period)
        {
            lock (time._gate)
            {
                DueTime = dueTime;
                time.Armed();
            }

            return true;
        }

        public void Fire() => callback(state);

        public void Dispose() => Change(Timeout.InfiniteTimeSpan, Timeout.InfiniteTimeSpan);

        public ValueTask DisposeAsync()
        {
            Dispose();
            return ValueTask.CompletedTask;
        }
    }
}
