using NUnit.Framework;
using StreamingCore.Redis.Tests.Infrastructure;

namespace StreamingCore.Redis.Tests.Reliability;

/// <summary>
/// The Redis mode of the stress harness: two instances on the fixture's own redis-server, about 15 s in CI. Reproduce a
/// failure with its printed seed: <c>STREAMINGCORE_STRESS_SEED=&lt;seed&gt; dotnet test tests/StreamingCore.Redis.Tests
/// --filter "TestCategory=Stress"</c>; soak with <c>STREAMINGCORE_STRESS_SECONDS=600</c>.
/// </summary>
[Category("Stress")]
[NonParallelizable]
public sealed class RedisStressTests : DedicatedRedisServerTests
{
    private int _minWorkers;
    private int _minCompletionPorts;

    /// <summary>
    /// Raises the thread pool's minimum, as StackExchange.Redis advises (its "Timeouts" page): a <c>Started</c> waits
    /// synchronously for its claim script, and the replies are read on the same pool. With the default minimum (one
    /// thread per core, two here) a burst of concurrent Started calls starved the reader, and Started failed with
    /// StoreUnavailable after the 5 s synchronous timeout in the first round (reported; see docs/reliability.md).
    /// </summary>
    [OneTimeSetUp]
    public void RaiseThreadPoolMinimum()
    {
        ThreadPool.GetMinThreads(out _minWorkers, out _minCompletionPorts);
        ThreadPool.SetMinThreads(Math.Max(_minWorkers, 32), _minCompletionPorts);
    }

    /// <summary>Puts the thread pool's minimum back for the fixtures that run after this one.</summary>
    [OneTimeTearDown]
    public void RestoreThreadPoolMinimum() => ThreadPool.SetMinThreads(_minWorkers, _minCompletionPorts);

    /// <summary>Producers on both instances, consumers that resume on the other one: nothing lost, duplicated or reordered.</summary>
    [Test]
    public async Task Two_instances_random_disconnect_and_resume_across_instances()
    {
        int seed = RedisStressSettings.Seed;
        TimeSpan duration = RedisStressSettings.Duration;
        var harness = new RedisStressHarness(Server, seed);
        await TestContext.Out.WriteLineAsync($"redis stress seed {seed} for {duration.TotalSeconds:F0} s on {Server} (reproduce: STREAMINGCORE_STRESS_SEED={seed})");
        try
        {
            await harness.RunAsync(duration);
        }
        finally
        {
            await TestContext.Out.WriteLineAsync(harness.Report.ToString());
        }

        // Asserted per consumer in each round already; the totals say the same for the whole run.
        Assert.That(
            (harness.Report.Lost, harness.Report.Duplicated, harness.Report.Reordered, harness.Report.Altered),
            Is.EqualTo((0L, 0L, 0L, 0L)),
            "lost, duplicated, reordered, altered");
        Assert.That(harness.Report.RefusedResumes, Is.Zero, $"resumes on the other instance refused with SequenceNotRetained although the position was valid; {harness.Report.LastRefusal}");
        Assert.That(harness.Report.DisconnectResumes + harness.Report.WaitingCancelResumes, Is.GreaterThan(0), "the run resumed across instances");
    }
}
