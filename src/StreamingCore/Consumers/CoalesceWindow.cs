namespace StreamingCore;

/// <summary>The window argument of the delta-coalescing operators.</summary>
internal static class CoalesceWindow
{
    public static TimeSpan Validate(TimeSpan? window)
    {
        TimeSpan period = window ?? ChatStreamingConstants.DefaultCoalesceWindow;
        if (period <= TimeSpan.Zero || period > Guard.MaxTimerDueTime)
        {
            throw new ArgumentOutOfRangeException(nameof(window), period, "The coalescing window must be positive (at most 49 days).");
        }

        return period;
    }
}
