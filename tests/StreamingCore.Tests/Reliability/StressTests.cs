using NUnit.Framework;

namespace StreamingCore.Tests.Reliability;

/// <summary>
/// The bounded stress runs of CI. Reproduce a failure with its printed seed:
/// <c>STREAMINGCORE_STRESS_SEED=&lt;seed&gt; dotnet test --filter "Name=Random_seed"</c>; soak with
/// <c>STREAMINGCORE_STRESS_SECONDS=600 dotnet test --filter "Category=Stress"</c>.
/// </summary>
[Category("Stress")]
[NonParallelizable]
public class StressTests
{
    [Test]
    public Task Fixed_seed() => Run(StressSettings.FixedSeed);

    [Test]
    public Task Random_seed() => Run(StressSettings.RandomSeed);

    [Test]
    public Task Hostile_consumers()
    {
        var harness = new HostileStressHarness(StressSettings.RandomSeed);
        return Run("hostile stress", harness.Seed, StressSettings.HostileDuration, harness.RunAsync, () => harness.Report.ToString());
    }

    private static Task Run(int seed)
    {
        var harness = new StressHarness(seed);
        return Run("stress", seed, StressSettings.Duration, harness.RunAsync, () => harness.Report.ToString());
    }

    private static async Task Run(string name, int seed, TimeSpan duration, Func<TimeSpan, Task> run, Func<string> report)
    {
        TestContext.Out.WriteLine($"{name} seed {seed} for {duration.TotalSeconds:F0} s (reproduce: STREAMINGCORE_STRESS_SEED={seed})");
        try
        {
            await run(duration);
        }
        finally
        {
            TestContext.Out.WriteLine(report());
        }
    }
}
