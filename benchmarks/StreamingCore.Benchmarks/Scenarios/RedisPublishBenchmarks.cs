using BenchmarkDotNet.Attributes;
using StackExchange.Redis;
using StreamingCore.Benchmarks.Infrastructure;
using StreamingCore.Redis;

namespace StreamingCore.Benchmarks.Scenarios;

/// <summary>
/// The producer's cost of publishing one delta on a <see cref="RedisChatStreamingStore"/> against the in-memory store, with
/// a response restarted every <see cref="StoreDriver.DeltasPerResponse"/> deltas (as the other publish benchmarks do; a
/// Redis Started is a synchronous claim script and waits for the previous response's writes, spread over its deltas).
/// Publish returns once the event is stamped and delivered locally; the write to Redis happens on the outbox's loop, on
/// the other core, concurrently with the measured calls. Each iteration publishes a bounded number of deltas and the
/// cleanup waits for the outbox to drain, so the outbox never grows past one iteration and never refuses a delta.
/// </summary>
[MemoryDiagnoser]
[InvocationCount(OperationsPerIteration)]
public class RedisPublishBenchmarks
{
    private const int OperationsPerIteration = 16_384;
    private const string ConversationId = "conversation-0";

    private static readonly ChatStreamingEvent Delta = Tokens.DeltaFor(ConversationId);

    private RedisBenchmarkServer _server = null!;
    private ConnectionMultiplexer _redis = null!;
    private RedisChatStreamingStore _redisStore = null!;
    private DefaultChatStreamingStore _memoryStore = null!;
    private int _redisDeltas;
    private int _memoryDeltas;

    [GlobalSetup]
    public void Setup()
    {
        _server = RedisBenchmarkServer.Start();
        _redis = _server.Connect();
        _redisStore = new RedisChatStreamingStore(_redis, Options());
        _memoryStore = new DefaultChatStreamingStore(Options());
        _redisStore.Publish(ChatStreamingEvent.Started(ConversationId));
        _memoryStore.Publish(ChatStreamingEvent.Started(ConversationId));
    }

    [IterationCleanup]
    public void DrainOutbox() => RedisBenchmarkWait.UntilDrained(_redisStore);

    [GlobalCleanup]
    public void Cleanup()
    {
        _memoryStore.Dispose();
        _redisStore.Dispose();
        _redis.Dispose();
        _server.Dispose();
    }

    [Benchmark(Baseline = true, Description = "in-memory store Publish(delta)")]
    public ChatStreamingEvent InMemory() => Publish(_memoryStore, ref _memoryDeltas);

    [Benchmark(Description = "Redis store Publish(delta)")]
    public ChatStreamingEvent Redis() => Publish(_redisStore, ref _redisDeltas);

    private static ChatStreamingEvent Publish(IChatStreamingStore store, ref int deltas)
    {
        if (deltas == StoreDriver.DeltasPerResponse)
        {
            store.Publish(ChatStreamingEvent.Finished(ConversationId));
            store.Publish(ChatStreamingEvent.Started(ConversationId));
            deltas = 0;
        }

        deltas++;
        return store.Publish(Delta);
    }

    private static ChatStreamingOptions Options() => new()
    {
        RetentionPeriod = TimeSpan.Zero,
        IdleTimeout = Timeout.InfiniteTimeSpan,
    };
}
