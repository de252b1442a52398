using System.Collections.Concurrent;
using Microsoft.Extensions.Time.Testing;

namespace StreamingCore.AspNetCore.Tests.Support;

/// <summary>
/// A <see cref="FakeTimeProvider"/> that tells when a timer with a given due time is armed (created with it, or re-armed
/// with <see cref="ITimer.Change"/>: the server keeps one heartbeat timer per connection), so a test advances the clock
/// only after the server has armed the heartbeat or duration timer it is about (never before, which would skip it).
/// </summary>
internal sealed class ObservedTimeProvider : FakeTimeProvider
{
    private readonly ConcurrentDictionary<TimeSpan, Counter> _armed = new();
    private readonly ConcurrentDictionary<TimeSpan, Counter> _created = new();

    public ObservedTimeProvider()
        : base(new DateTimeOffset(2026, 1, 1, 0, 0, 0, TimeSpan.Zero).AddTicks(1234567))
    {
    }

    public override ITimer CreateTimer(TimerCallback callback, object? state, TimeSpan dueTime, TimeSpan period)
    {
        var timer = new ObservedTimer(this, base.CreateTimer(callback, state, dueTime, period));
        _created.GetOrAdd(dueTime, _ => new Counter()).Increment();
        Armed(dueTime);
        return timer;
    }

    /// <summary>Completes when timers have been armed <paramref name="count"/> times to fire after <paramref name="dueTime"/>.</summary>
    public Task WaitForTimersAsync(TimeSpan dueTime, int count = 1) => _armed.GetOrAdd(dueTime, _ => new Counter()).WaitForAsync(count);

    /// <summary>How many timers were created with <paramref name="dueTime"/> (re-arming one is not creating one).</summary>
    public int TimersCreated(TimeSpan dueTime) => _created.GetOrAdd(dueTime, _ => new Counter()).Value;

    private void Armed(TimeSpan dueTime)
    {
        if (dueTime != Timeout.InfiniteTimeSpan)
        {
            _armed.GetOrAdd(dueTime, _ => new Counter()).Increment();
        }
    }

    /// <summary>The fake timer, reporting each re-arming.</summary>
    private sealed class ObservedTimer(ObservedTimeProvider time, ITimer inner) : ITimer
    {
        public bool Change(TimeSpan dueTime, TimeSpan period)
        {
            bool changed = inner.Change(dueTime, period);
            time.Armed(dueTime);
            return changed;
        }

        public void Dispose() => inner.Dispose();

        public ValueTask DisposeAsync() => inner.DisposeAsync();
    }
}
