namespace StreamingCore;

/// <summary>The state of a <see cref="ManagedStream{T}"/>.</summary>
public enum StreamState
{
    /// <summary>Open for writing.</summary>
    Active,

    /// <summary>Ended normally.</summary>
    Completed,

    /// <summary>Ended with an error.</summary>
    Failed,

    /// <summary>Ended by cancellation.</summary>
    Cancelled,

    /// <summary>Ended because nothing was written for the idle timeout.</summary>
    TimedOut,
}
