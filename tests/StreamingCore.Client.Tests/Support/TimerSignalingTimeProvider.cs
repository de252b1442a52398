using System.Threading.Channels;
using Microsoft.Extensions.Time.Testing;
using NUnit.Framework;

namespace StreamingCore.Client.Tests.Support;

/// <summary>
/// A <see cref="FakeTimeProvider"/> that reports the due time of every timer created on it, so a test knows that the client
/// is waiting, and for how long, before it advances the clock: no sleeps, no races.
/// </summary>
internal sealed class TimerSignalingTimeProvider : FakeTimeProvider
{
    // The due time of each timer created, in creation order.
    private readonly Channel<TimeSpan> _timers = Channel.CreateUnbounded<TimeSpan>();

    public override ITimer CreateTimer(TimerCallback callback, object? state, TimeSpan dueTime, TimeSpan period)
    {
        ITimer timer = base.CreateTimer(callback, state, dueTime, period);
        _timers.Writer.TryWrite(dueTime);
        return timer;
    }

    /// <summary>Waits until the next timer is created and returns its due time.</summary>
    public async Task<TimeSpan> NextTimerAsync() => await _timers.Reader.ReadAsync(TestGuard.Token);

    /// <summary>Waits for the client's next reconnection wait, checks its length and lets it pass.</summary>
    public async Task PassReconnectionDelayAsync(TimeSpan expected)
    {
        TimeSpan due = await NextTimerAsync();
        Assert.That(due, Is.EqualTo(expected), "the reconnection delay");
        Advance(due);
    }

    /// <summary>Whether a timer was created that no test has read yet.</summary>
    public bool HasUnreadTimer => _timers.Reader.TryPeek(out _);
}
