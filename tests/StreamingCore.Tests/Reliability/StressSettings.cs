using System.Globalization;

namespace StreamingCore.Tests.Reliability;

/// <summary>
/// How long the stress harness runs. CI runs two bounded runs of about 30 s (a fixed seed and a random one);
/// STREAMINGCORE_STRESS_SECONDS lengthens each run for a soak (600 for ten minutes), and
/// STREAMINGCORE_STRESS_SEED replays the random run of a failure.
/// </summary>
internal static class StressSettings
{
    public const int FixedSeed = 20261123;

    public static TimeSpan Duration => TimeSpan.FromSeconds(
        int.TryParse(Environment.GetEnvironmentVariable("STREAMINGCORE_STRESS_SECONDS"), NumberStyles.Integer, CultureInfo.InvariantCulture, out int seconds) && seconds > 0 ? seconds : 30);

    /// <summary>The hostile run: half the duration, since its full collections for memory sampling slow everything else.</summary>
    public static TimeSpan HostileDuration => Duration / 2;

    public static int RandomSeed =>
        int.TryParse(Environment.GetEnvironmentVariable("STREAMINGCORE_STRESS_SEED"), NumberStyles.Integer, CultureInfo.InvariantCulture, out int seed) ? seed : Random.Shared.Next();
}
