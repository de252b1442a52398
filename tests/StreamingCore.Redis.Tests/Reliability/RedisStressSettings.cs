using System.Globalization;

namespace StreamingCore.Redis.Tests.Reliability;

/// <summary>
/// How long the Redis stress run lasts and with which seed. CI runs about 15 s with a random seed; the same variables as
/// the core's stress harness lengthen it for a soak (<c>STREAMINGCORE_STRESS_SECONDS=600</c>) and replay a failure
/// (<c>STREAMINGCORE_STRESS_SEED=&lt;seed&gt;</c>).
/// </summary>
internal static class RedisStressSettings
{
    /// <summary>The run's length: 15 s unless <c>STREAMINGCORE_STRESS_SECONDS</c> says otherwise.</summary>
    public static TimeSpan Duration => TimeSpan.FromSeconds(
        int.TryParse(Environment.GetEnvironmentVariable("STREAMINGCORE_STRESS_SECONDS"), NumberStyles.Integer, CultureInfo.InvariantCulture, out int seconds) && seconds > 0
            ? seconds
            : 15);

    /// <summary>The seed: <c>STREAMINGCORE_STRESS_SEED</c> when set, else a new one each run (printed first).</summary>
    public static int Seed =>
        int.TryParse(Environment.GetEnvironmentVariable("STREAMINGCORE_STRESS_SEED"), NumberStyles.Integer, CultureInfo.InvariantCulture, out int seed)
            ? seed
            : Random.Shared.Next();
}
