using System.Diagnostics;
using NUnit.Framework;
using StackExchange.Redis;
using StreamingCore.Redis.Tests.Infrastructure;
using StreamingCore.Redis.Tests.Support;

namespace StreamingCore.Redis.Tests.Review;

/// <summary>Review: disposal and subscriptions while the server is away (a server of the fixture's own).</summary>
public sealed class LifecycleReviewTests : DedicatedRedisServerTests
{
    private const string Id = "conv-1";

    /// <summary>
    /// Redis is down and many batches wait: disposing gives them ShutdownTimeout, then stops. It must not try every
    /// remaining batch, each waiting for the connection's timeout.
    /// </summary>
    [Test]
    public async Task Dispose_while_Redis_is_down_stops_after_its_ShutdownTimeout_not_one_timeout_per_batch()
    {
        await using Instances instances = await Instances.StartAsync(Server.ConnectionString, 0).Guarded();
        ConfigurationOptions configuration = ConfigurationOptions.Parse(Server.ConnectionString);
        configuration.AsyncTimeout = 1_000;
        configuration.SyncTimeout = 1_000;
        ConnectionMultiplexer multiplexer = await ConnectionMultiplexer.ConnectAsync(configuration).Guarded();
        var store = new RedisChatStreamingStore(
            multiplexer,
            redisOptions: new RedisChatStreamingOptions { KeyPrefix = instances.Prefix, MaxBatchSize = 1, ShutdownTimeout = TimeSpan.FromSeconds(1) },
            timeProvider: instances.Time,
            ownsMultiplexer: true);
        store.Publish(ChatStreamingEvent.Started(Id));
        await store.FlushAsync().Guarded();
        await Server.StopAsync();
        for (int i = 0; i < 20; i++)
        {
            store.Publish(ChatStreamingEvent.Delta(Id, $"{i};"));
        }

        var elapsed = Stopwatch.StartNew();
        await store.DisposeAsync().AsTask().Guarded();
        elapsed.Stop();

        // ShutdownTimeout (1 s), then at most the one write in flight (AsyncTimeout, 1 s); not 21 of them.
        Assert.That(elapsed.Elapsed, Is.LessThan(TimeSpan.FromSeconds(6)));
    }
}
