namespace StreamingCore;

/// <summary>Watermarks for a <see cref="BackpressureHandler"/>.</summary>
public sealed class BackpressureOptions
{
    /// <summary>Gets or sets the level at or above which the handler pauses. Default 65,536 (System.IO.Pipelines' pause threshold in bytes).</summary>
    public long HighWatermark { get; set; } = 64 * 1024;

    /// <summary>Gets or sets the level at or below which a paused handler resumes; below <see cref="HighWatermark"/>. Default 32,768.</summary>
    public long LowWatermark { get; set; } = 32 * 1024;
}
