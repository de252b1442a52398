using NUnit.Framework;

namespace StreamingCore.Redis.Tests.Infrastructure;

/// <summary>
/// A base for fixtures whose tests kill or restart cluster nodes, or flush the cluster: the fixture gets its own
/// <see cref="RedisCluster"/>, created once for all its tests and killed after the last. Before each test every node is
/// running, the cluster is healthy again and it is empty.
/// </summary>
public abstract class DedicatedRedisClusterTests
{
    /// <summary>The fixture's own cluster.</summary>
    protected RedisCluster Cluster { get; private set; } = null!;

    /// <summary>Creates the fixture's cluster.</summary>
    [OneTimeSetUp]
    public async Task StartDedicatedCluster() => Cluster = await RedisCluster.StartNewAsync().Guarded();

    /// <summary>Restarts any node a previous test left stopped, waits for the cluster to be healthy, and empties it.</summary>
    [SetUp]
    public async Task ResetDedicatedCluster()
    {
        foreach (RedisServer node in Cluster.Nodes.Where(n => !n.IsRunning))
        {
            await node.StartAsync().Guarded();
        }

        await Cluster.WaitUntilHealthyAsync().Guarded();
        await Cluster.FlushAllAsync().Guarded();
    }

    /// <summary>Kills the fixture's nodes and deletes their folders.</summary>
    [OneTimeTearDown]
    public async Task StopDedicatedCluster()
    {
        // Null when the start failed: the setup's error is the one to report.
        if (Cluster is not null)
        {
            await Cluster.DisposeAsync();
        }
    }
}
