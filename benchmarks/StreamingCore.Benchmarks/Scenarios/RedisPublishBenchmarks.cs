using BenchmarkDotNet.Attributes;
using StackExchange.Redis;
using StreamingCore.Benchmarks.Infrastructure;
using StreamingCore.Redis;

namespace StreamingCore.Benchmarks.Scenarios;

/// <summary>
/// The producer's cost of publishing one delta on a <see cref="RedisChatStreamingStore"/> against the in-memory store, with
/// a response restarted every <see cref="DeltasPerResponse"/> deltas: 1,000 as the other publish benchmarks do (a Redis
/// Started is a synchronous claim script and first waits until the previous response's events are written, which is
/// spread over the deltas), and 1,000,000, so that no iteration restarts and only the delta's own path is measured.
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

    /// <summary>How many deltas a response has before it finishes and the next one starts.</summary>
    [Params(1_000, 1_000_000)]
    public int DeltasPerResponse { get; set; }

    [GlobalSetup]
    public void Setup()
    {
        _server = RedisBenchmarkServer.Start();
        _redis = _server.Connect();
        // Above MaxEventsPerResponse, as the option's documentation asks, so that the active response is never trimmed.
        _redisStore = new RedisChatStreamingStore(_redis, Options(), new RedisChatStreamingOptions { MaxStreamLength = 2_500_000 });
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
    public ChatStreamingEvent InMemory() => Publish(_memoryStore, ref _memoryDeltas, DeltasPerResponse);

    [Benchmark(Description = "Redis store Publish(delta)")]
    public ChatStreamingEvent Redis() => Publish(_redisStore, ref _redisDeltas, DeltasPerResponse);

    private static ChatStreamingEvent Publish(IChatStreamingStore store, ref int deltas, int perResponse)
    {
        if (deltas == perResponse)
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

        // A response of a million "tok" deltas is 3 million characters.
        MaxResponseLength = 4_000_000,
        MaxEventsPerResponse = 2_000_000,
    };
}
