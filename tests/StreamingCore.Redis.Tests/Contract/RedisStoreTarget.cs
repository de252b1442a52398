using StreamingCore.Redis.Tests.Infrastructure;
using StreamingCore.Redis.Tests.Support;
using StreamingCore.Testing.Contract;

namespace StreamingCore.Redis.Tests.Contract;

/// <summary>
/// The Redis store under the contract suite, on the run's shared redis-server with a key prefix of its own per test:
/// either one instance, or events published on one instance and read on another.
/// </summary>
internal sealed class RedisStoreTarget(bool acrossInstances) : IStoreTarget
{
    public string Name => acrossInstances ? "redis, published on A and read on B" : "redis, one instance";

    public async Task<StoreUnderTest> CreateAsync(Action<ChatStreamingOptions>? configure = null)
    {
        RedisServer server = await SharedRedis.ServerAsync().ConfigureAwait(false);
        // The suite publishes a quarter of a million events in one tight loop (MaxEventsPerResponse): an outbox of that size
        // lets the rule under test, not the outbox's bound, refuse the last one.
        Instances instances = await Instances.StartAsync(server.ConnectionString, acrossInstances ? 2 : 1, configure, o => o.MaxOutboxLength = 1_000_000).ConfigureAwait(false);
        return new RedisStoreUnderTest(instances, instances[0], instances[acrossInstances ? 1 : 0]);
    }

    public override string ToString() => Name;
}
