using Microsoft.Extensions.Time.Testing;
using NUnit.Framework;

namespace StreamingCore.Tests.Internal;

/// <summary>The publish path's one clock read: its UTC time must be the provider's, however the provider's time moves.</summary>
public sealed class EventClockTests
{
    private static readonly DateTimeOffset Start = new(2026, 11, 26, 12, 0, 0, TimeSpan.Zero);

    [Test]
    public void A_clock_whose_two_times_are_one_gives_its_exact_UTC_time_at_every_step()
    {
        var time = new FakeTimeProvider(Start);
        var clock = new EventClock(time);
        TimeSpan[] steps = [TimeSpan.Zero, TimeSpan.FromTicks(1), TimeSpan.FromMilliseconds(250), TimeSpan.FromMilliseconds(999), TimeSpan.FromSeconds(1), TimeSpan.FromSeconds(3), TimeSpan.FromHours(5)];
        foreach (TimeSpan step in steps)
        {
            time.Advance(step);
            long timestamp = clock.Now(out long utcTicks);
            Assert.That(utcTicks, Is.EqualTo(time.GetUtcNow().UtcTicks), $"after a step of {step}");
            Assert.That(timestamp, Is.EqualTo(time.GetTimestamp()));
        }
    }

    [Test]
    public void A_clock_set_back_is_followed_at_once()
    {
        var time = new FakeTimeProvider(Start);
        var clock = new EventClock(time);
        time.Advance(TimeSpan.FromMilliseconds(500));
        clock.Now(out _);

        time.AdjustTime(Start.AddMinutes(-3));
        clock.Now(out long utcTicks);

        Assert.That(utcTicks, Is.EqualTo(Start.AddMinutes(-3).UtcTicks));
    }

    [Test]
    public void A_wall_clock_step_shows_within_one_anchor_lifetime_and_the_monotonic_time_is_never_derived()
    {
        var time = new SteppedWallClock(Start);
        var clock = new EventClock(time);

        time.Elapse(TimeSpan.FromMilliseconds(400));
        Assert.That(Read(clock), Is.EqualTo(Start.AddMilliseconds(400)));

        // The wall clock jumps ahead by a minute (an NTP step) while the monotonic clock does not.
        time.StepWallClock(TimeSpan.FromMinutes(1));
        time.Elapse(TimeSpan.FromMilliseconds(100));
        Assert.That(Read(clock), Is.EqualTo(Start.AddMilliseconds(500)), "within the anchor's lifetime the step is not seen yet");

        time.Elapse(EventClock.AnchorLifetime);
        Assert.That(Read(clock), Is.EqualTo(Start.AddMinutes(1) + EventClock.AnchorLifetime + TimeSpan.FromMilliseconds(500)), "one lifetime later it is");
    }

    private static DateTimeOffset Read(EventClock clock)
    {
        clock.Now(out long utcTicks);
        return new DateTimeOffset(utcTicks, TimeSpan.Zero);
    }

    /// <summary>A provider whose wall clock can step while its monotonic clock does not, as a real machine's can.</summary>
    private sealed class SteppedWallClock(DateTimeOffset start) : TimeProvider
    {
        private long _elapsedTicks;
        private TimeSpan _wallOffset;

        public override long TimestampFrequency => TimeSpan.TicksPerSecond;

        public override long GetTimestamp() => 1_000_000 + _elapsedTicks;

        public override DateTimeOffset GetUtcNow() => start + _wallOffset + TimeSpan.FromTicks(_elapsedTicks);

        public void Elapse(TimeSpan span) => _elapsedTicks += span.Ticks;

        public void StepWallClock(TimeSpan step) => _wallOffset += step;
    }
}
