namespace StreamingCore.WebSample;

/// <summary>The fake model's pacing; section <c>WebSample</c> of the configuration.</summary>
public sealed class WebSampleOptions
{
    /// <summary>The configuration section.</summary>
    public const string Section = "WebSample";

    /// <summary>Gets or sets the wait before the first token (a model's time to first token). Default 300 ms.</summary>
    public TimeSpan FirstTokenDelay { get; set; } = TimeSpan.FromMilliseconds(300);

    /// <summary>Gets or sets the time between two tokens. Default 40 ms.</summary>
    public TimeSpan TokenDelay { get; set; } = TimeSpan.FromMilliseconds(40);
}
