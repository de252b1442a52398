namespace StreamingCore.Redis.Tests.Infrastructure;

/// <summary>
/// One server and one cluster for the whole test run, started on first use, for the tests that neither stop, flush nor
/// restart them: starting a server costs tens of milliseconds and a cluster over a second, so tests that only read and
/// write keys share them. Each such test keeps to its own keys, under <see cref="TestKeyPrefix.Next"/>, so tests never
/// see each other's data even when they run in parallel. <see cref="RedisTestRun"/> stops both at the end of the run.
/// </summary>
/// <remarks>
/// A failed start is remembered: every test that asks afterwards fails with the same error instead of retrying it.
/// The shared instances refuse <c>StopAsync</c>, <c>StartAsync</c>, <c>FlushAllAsync</c> and <c>DisposeAsync</c>;
/// tests that need those use <see cref="DedicatedRedisServerTests"/> or <see cref="DedicatedRedisClusterTests"/>.
/// </remarks>
/// <example>
/// <code><![CDATA[
/// RedisServer server = await SharedRedis.ServerAsync();
/// await using ConnectionMultiplexer redis = await server.ConnectAsync();
/// string prefix = TestKeyPrefix.Next();               // "t7:"
/// await redis.GetDatabase().StreamAddAsync(prefix + "conv-1", "text", "hi");
///
/// RedisCluster cluster = await SharedRedis.ClusterAsync();
/// await using ConnectionMultiplexer clustered = await cluster.ConnectAsync();
/// string events = $"{{{prefix}conv-1}}:events";       // "{t7:conv-1}:events": one slot per conversation
/// ]]></code>
/// </example>
public static class SharedRedis
{
    private static readonly Lazy<Task<RedisServer>> Server = new(StartServerAsync);
    private static readonly Lazy<Task<RedisCluster>> Cluster = new(StartClusterAsync);

    /// <summary>The run's shared standalone server, started on the first call.</summary>
    public static Task<RedisServer> ServerAsync() => Server.Value;

    /// <summary>The run's shared 3-master cluster, started on the first call.</summary>
    public static Task<RedisCluster> ClusterAsync() => Cluster.Value;

    /// <summary>Stops whichever of the shared server and cluster were started.</summary>
    internal static async Task StopAsync()
    {
        if (Server.IsValueCreated && Server.Value.IsCompletedSuccessfully)
        {
            await Server.Value.Result.DisposeSharedAsync();
        }

        if (Cluster.IsValueCreated && Cluster.Value.IsCompletedSuccessfully)
        {
            await Cluster.Value.Result.DisposeSharedAsync();
        }
    }

    // No test's token: one test being cancelled must not fail the start that every other test waits on.
    private static async Task<RedisServer> StartServerAsync()
    {
        RedisServer server = await RedisServer.StartNewAsync(CancellationToken.None);
        server.IsShared = true;
        return server;
    }

    private static async Task<RedisCluster> StartClusterAsync()
    {
        RedisCluster cluster = await RedisCluster.StartNewAsync(CancellationToken.None);
        cluster.MarkShared();
        return cluster;
    }
}
