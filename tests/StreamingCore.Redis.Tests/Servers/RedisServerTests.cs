using System.Net.Sockets;
using NUnit.Framework;
using StackExchange.Redis;
using StreamingCore.Redis.Tests.Infrastructure;

namespace StreamingCore.Redis.Tests.Servers;

/// <summary>The standalone server the Redis tests start: up, persistence off, killed and restarted on its port, flushed.</summary>
public class RedisServerTests : DedicatedRedisServerTests
{
    [Test]
    public async Task It_answers_ping_on_loopback_with_persistence_off()
    {
        await using ConnectionMultiplexer redis = await Server.ConnectAsync(o => o.AllowAdmin = true).Guarded();
        IServer server = redis.GetServer(Server.EndPoint);

        TimeSpan latency = await server.PingAsync().Guarded();
        KeyValuePair<string, string>[] config = await server.ConfigGetAsync("*").Guarded();
        var settings = config.ToDictionary(c => c.Key, c => c.Value);

        Assert.That(latency, Is.GreaterThanOrEqualTo(TimeSpan.Zero));
        Assert.That(settings["port"], Is.EqualTo(Server.Port.ToString(System.Globalization.CultureInfo.InvariantCulture)));
        Assert.That(settings["bind"], Is.EqualTo("127.0.0.1"));
        Assert.That(settings["save"], Is.Empty, "RDB snapshots are off");
        Assert.That(settings["appendonly"], Is.EqualTo("no"));
        Assert.That(settings["dir"], Is.EqualTo(Server.WorkingDirectory));
    }

    [Test]
    public async Task Stop_fails_commands_and_start_on_the_same_port_brings_the_same_multiplexer_back()
    {
        // Fail fast while disconnected instead of queueing for the async timeout: the outage shows at once.
        await using ConnectionMultiplexer redis = await Server.ConnectAsync(o => o.BacklogPolicy = BacklogPolicy.FailFast).Guarded();
        IDatabase db = redis.GetDatabase();
        string key = TestKeyPrefix.Next() + "k";
        await db.StringSetAsync(key, "before").Guarded();
        int port = Server.Port;

        var restored = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        redis.ConnectionRestored += (_, e) =>
        {
            if (e.ConnectionType == ConnectionType.Interactive)
            {
                restored.TrySetResult();
            }
        };

        await Server.StopAsync().Guarded();
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
        Assert.That(Server.IsRunning, Is.False);

        await Server.StartAsync().Guarded();
        await restored.Task.Guarded();

        Assert.That(Server.Port, Is.EqualTo(port));
        Assert.That(await db.StringSetAsync(key, "after").Guarded(), Is.True);
        Assert.That((string?)await db.StringGetAsync(key).Guarded(), Is.EqualTo("after"));
    }

    [Test]
    public async Task A_restarted_server_is_empty()
    {
        await using ConnectionMultiplexer redis = await Server.ConnectAsync().Guarded();
        string key = TestKeyPrefix.Next() + "k";
        await redis.GetDatabase().StringSetAsync(key, "v").Guarded();

        await Server.StopAsync().Guarded();
        await Server.StartAsync().Guarded();
        await using ConnectionMultiplexer fresh = await Server.ConnectAsync().Guarded();

        Assert.That(await fresh.GetDatabase().KeyExistsAsync(key).Guarded(), Is.False, "persistence is off");
    }

    [Test]
    public async Task FlushAll_empties_every_database()
    {
        await using ConnectionMultiplexer redis = await Server.ConnectAsync(o => o.AllowAdmin = true).Guarded();
        await redis.GetDatabase(0).StringSetAsync("a", "1").Guarded();
        await redis.GetDatabase(3).StringSetAsync("b", "2").Guarded();
        IServer server = redis.GetServer(Server.EndPoint);
        Assert.That(await server.DatabaseSizeAsync(0).Guarded() + await server.DatabaseSizeAsync(3).Guarded(), Is.EqualTo(2));

        await Server.FlushAllAsync().Guarded();

        Assert.That(await server.DatabaseSizeAsync(0).Guarded(), Is.Zero);
        Assert.That(await server.DatabaseSizeAsync(3).Guarded(), Is.Zero);
    }

    [Test]
    public async Task Starting_a_running_server_again_is_refused()
    {
        Assert.That(Server.IsRunning, Is.True);

        Assert.That(async () => await Server.StartAsync().Guarded(), Throws.InvalidOperationException);
    }
}
