using System.Collections.Concurrent;
using Microsoft.Extensions.Time.Testing;

namespace StreamingCore.AspNetCore.Tests.Support;

/// <summary>
/// A <see cref="FakeTimeProvider"/> that tells when a timer with a given due time exists, so a test advances the clock
/// only after the server has armed the heartbeat or duration timer it is about (never before, which would skip it).
/// </summary>
internal sealed class ObservedTimeProvider : FakeTimeProvider
{
    private readonly ConcurrentDictionary<TimeSpan, Counter> _created = new();

    public ObservedTimeProvider()
        : base(new DateTimeOffset(2026, 1, 1, 0, 0, 0, TimeSpan.Zero).AddTicks(1234567))
    {
    }

    public override ITimer CreateTimer(TimerCallback callback, object? state, TimeSpan dueTime, TimeSpan period)
    {
        ITimer timer = base.CreateTimer(callback, state, dueTime, period);
        _created.GetOrAdd(dueTime, _ => new Counter()).Increment();
        return timer;
    }

    /// <summary>Completes when <paramref name="count"/> timers due after <paramref name="dueTime"/> have been created.</summary>
    public Task WaitForTimersAsync(TimeSpan dueTime, int count = 1) => _created.GetOrAdd(dueTime, _ => new Counter()).WaitForAsync(count);
}
