namespace StreamingCore;

/// <summary>
/// The time of a publish from one clock read: the <see cref="TimeProvider"/>'s monotonic timestamp, and its UTC time derived
/// from that timestamp and an anchor (a pair of UTC time and timestamp read together) renewed at least once per
/// <see cref="AnchorLifetime"/> of monotonic time.
/// </summary>
/// <remarks>
/// A publish needs both: the UTC time is the event's <see cref="ChatStreamingEvent.Timestamp"/>, the monotonic one drives
/// statistics and the idle timeout. Reading both cost two clock reads per event, about 25 ns each on the Linux VMs this
/// library is benchmarked on (a quarter of a publish). A <see cref="TimeProvider"/> whose two clocks are one (as
/// <c>FakeTimeProvider</c>'s are) gets exactly its own UTC time; <see cref="TimeProvider.System"/>'s wall clock is followed
/// to within what it drifts from the monotonic clock in one anchor lifetime, and a step of the wall clock shows within one
/// anchor lifetime. A timestamp that goes backwards (a test's clock set back) re-anchors at once.
/// </remarks>
internal sealed class EventClock
{
    /// <summary>How long, in monotonic time, one anchor serves.</summary>
    public static readonly TimeSpan AnchorLifetime = TimeSpan.FromSeconds(1);

    private readonly TimeProvider _timeProvider;

    // AnchorLifetime in timestamp units.
    private readonly long _anchorSpan;

    // A timestamp interval in UTC ticks is the interval times this (exact when the frequency is TicksPerSecond).
    private readonly double _ticksPerTimestamp;
    private readonly bool _sameUnits;

    // Replaced as a whole, so that a reader never pairs the time of one anchor with the timestamp of another.
    private Anchor _anchor;

    public EventClock(TimeProvider timeProvider)
    {
        _timeProvider = timeProvider;
        long frequency = timeProvider.TimestampFrequency;
        _sameUnits = frequency == TimeSpan.TicksPerSecond;
        _ticksPerTimestamp = (double)TimeSpan.TicksPerSecond / frequency;
        _anchorSpan = (long)(AnchorLifetime.TotalSeconds * frequency);
        _anchor = CreateAnchor();
    }

    /// <summary>Reads the clock once.</summary>
    /// <param name="utcTicks">The UTC time now, in ticks (<see cref="DateTimeOffset.UtcTicks"/>).</param>
    /// <returns>The monotonic timestamp now (<see cref="TimeProvider.GetTimestamp"/>).</returns>
    public long Now(out long utcTicks)
    {
        long timestamp = _timeProvider.GetTimestamp();
        Anchor anchor = Volatile.Read(ref _anchor);
        long elapsed = timestamp - anchor.Timestamp;

        // Unsigned: a timestamp before the anchor (a clock set back) renews it too.
        if ((ulong)elapsed > (ulong)_anchorSpan)
        {
            anchor = CreateAnchor();
            Volatile.Write(ref _anchor, anchor);
            elapsed = timestamp - anchor.Timestamp;
        }

        long ticks = _sameUnits ? elapsed : (long)(elapsed * _ticksPerTimestamp);
        utcTicks = anchor.UtcTicks + ticks;
        return timestamp;
    }

    private Anchor CreateAnchor()
    {
        // The UTC read between two timestamp reads: when they are equal (a test clock that did not move meanwhile) the pair is
        // exact; otherwise the midpoint, retried a few times when the thread was held up between the reads.
        long skewLimit = Math.Max(1, _timeProvider.TimestampFrequency / 100_000);
        for (int attempt = 0; ; attempt++)
        {
            long before = _timeProvider.GetTimestamp();
            long utcTicks = _timeProvider.GetUtcNow().UtcTicks;
            long after = _timeProvider.GetTimestamp();
            long skew = after - before;
            if ((skew >= 0 && skew <= skewLimit) || attempt == 2)
            {
                return new Anchor(skew >= 0 ? before + (skew / 2) : after, utcTicks);
            }
        }
    }

    private sealed class Anchor(long timestamp, long utcTicks)
    {
        public long Timestamp { get; } = timestamp;

        public long UtcTicks { get; } = utcTicks;
    }
}
