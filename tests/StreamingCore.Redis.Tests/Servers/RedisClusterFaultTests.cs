using NUnit.Framework;
using StackExchange.Redis;
using StreamingCore.Redis.Tests.Infrastructure;

namespace StreamingCore.Redis.Tests.Servers;

/// <summary>A dedicated cluster: a killed master takes its slots down, and once restarted on its port it serves them again.</summary>
public class RedisClusterFaultTests : DedicatedRedisClusterTests
{
    [Test]
    public async Task A_killed_master_comes_back_on_its_port_and_serves_its_slots_again()
    {
        await using ConnectionMultiplexer redis = await Cluster.ConnectAsync(o => o.BacklogPolicy = BacklogPolicy.FailFast).Guarded();
        IDatabase db = redis.GetDatabase();
        string key = $"{{{TestKeyPrefix.Next()}conv-1}}:events";
        await db.StringSetAsync(key, "before").Guarded();
        RedisServer owner = Cluster.Nodes.Single(n => n.EndPoint == redis.GetServer((RedisKey)key).EndPoint.ToString());

        await owner.StopAsync().Guarded();
        Exception? outage = null;
        try
        {
            await db.StringGetAsync(key).Guarded();
        }
        catch (Exception e)
        {
            outage = e;
        }

        Assert.That(outage, Is.InstanceOf<RedisConnectionException>().Or.InstanceOf<RedisTimeoutException>());

        await owner.StartAsync().Guarded();
        await Cluster.WaitUntilHealthyAsync().Guarded();

        // The same multiplexer reconnects on its own; until it has, a command can still fail, hence the restored signal.
        var restored = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        redis.ConnectionRestored += (_, e) =>
        {
            if (e.ConnectionType == ConnectionType.Interactive && e.EndPoint?.ToString() == owner.EndPoint)
            {
                restored.TrySetResult();
            }
        };
        if (!redis.GetServer(owner.EndPoint).IsConnected)
        {
            await restored.Task.Guarded();
        }

        Assert.That((string?)await db.StringGetAsync(key).Guarded(), Is.Null, "the master came back empty: persistence is off");
        Assert.That(await db.StringSetAsync(key, "after").Guarded(), Is.True);
        Assert.That((string?)await db.StringGetAsync(key).Guarded(), Is.EqualTo("after"));
    }

    [Test]
    public async Task FlushAll_empties_every_master()
    {
        await using ConnectionMultiplexer redis = await Cluster.ConnectAsync().Guarded();
        string prefix = TestKeyPrefix.Next();
        string[] keys = [.. Enumerable.Range(1, 30).Select(i => $"{{{prefix}conv-{i}}}:events")];
        foreach (string key in keys)
        {
            await redis.GetDatabase().StringSetAsync(key, "v").Guarded();
        }

        await Cluster.FlushAllAsync().Guarded();

        foreach (RedisServer node in Cluster.Nodes)
        {
            Assert.That(await redis.GetServer(node.EndPoint).DatabaseSizeAsync().Guarded(), Is.Zero, node.EndPoint);
        }
    }
}
