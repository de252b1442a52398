using NUnit.Framework;
using StackExchange.Redis;
using StreamingCore.Redis.Tests.Infrastructure;

namespace StreamingCore.Redis.Tests.Servers;

/// <summary>The run's shared server: one instance, guarded against tests that would disturb the others, keys kept apart.</summary>
public class SharedRedisTests
{
    [Test]
    public async Task Every_caller_gets_the_same_running_server()
    {
        RedisServer first = await SharedRedis.ServerAsync().Guarded();
        RedisServer second = await SharedRedis.ServerAsync().Guarded();

        Assert.That(second, Is.SameAs(first));
        Assert.That(first.IsRunning, Is.True);
    }

    [Test]
    public async Task The_shared_server_refuses_to_be_stopped_flushed_or_disposed()
    {
        RedisServer shared = await SharedRedis.ServerAsync().Guarded();

        Assert.That(async () => await shared.StopAsync(), Throws.InvalidOperationException.With.Message.Contains("DedicatedRedisServerTests"));
        Assert.That(async () => await shared.FlushAllAsync(), Throws.InvalidOperationException);
        Assert.That(async () => await shared.DisposeAsync(), Throws.InvalidOperationException);
        Assert.That(shared.IsRunning, Is.True);
    }

    [Test]
    public async Task Prefixed_keys_of_two_tests_never_meet()
    {
        RedisServer shared = await SharedRedis.ServerAsync().Guarded();
        await using ConnectionMultiplexer redis = await shared.ConnectAsync().Guarded();
        IDatabase db = redis.GetDatabase();
        string mine = TestKeyPrefix.Next(), theirs = TestKeyPrefix.Next();

        await db.StringSetAsync(mine + "conv", "mine").Guarded();
        await db.StringSetAsync(theirs + "conv", "theirs").Guarded();

        Assert.That(mine, Is.Not.EqualTo(theirs));
        Assert.That(mine, Does.Not.Contain("{"), "a brace would make the prefix a cluster hash tag");
        Assert.That((string?)await db.StringGetAsync(mine + "conv").Guarded(), Is.EqualTo("mine"));
        Assert.That((string?)await db.StringGetAsync(theirs + "conv").Guarded(), Is.EqualTo("theirs"));
    }
}
