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
    public async Task Hostile_consumers()
    {
        int seed = StressSettings.RandomSeed;
        TestContext.Out.WriteLine($"hostile stress seed {seed} for {StressSettings.HostileDuration.TotalSeconds:F0} s (reproduce: STREAMINGCORE_STRESS_SEED={seed})");
        var harness = new HostileStressHarness(seed);
        try
        {
            await harness.RunAsync(StressSettings.HostileDuration);
        }
        finally
        {
            TestContext.Out.WriteLine(harness.Report.ToString());
        }
    }

    private static async Task Run(int seed)
    {
        TestContext.Out.WriteLine($"stress seed {seed} for {StressSettings.Duration.TotalSeconds:F0} s (reproduce: STREAMINGCORE_STRESS_SEED={seed})");
        var harness = new StressHarness(seed);
        try
        {
            await harness.RunAsync(StressSettings.Duration);
        }
        finally
        {
            TestContext.Out.WriteLine(harness.Report.ToString());
        }
    }
}
