using BenchmarkDotNet.Attributes;
using StackExchange.Redis;
using StreamingCore.Benchmarks.Infrastructure;
using StreamingCore.Redis;

namespace StreamingCore.Benchmarks.Scenarios;

/// <summary>
/// End to end through one local redis-server: producers on instance A, subscribers on instance B (two
/// <see cref="RedisChatStreamingStore"/>s, each with its own connection, in this process), 100,000 deltas and a Finished
/// per conversation, spread over 10 or 100 conversations streaming at once, one subscriber per conversation. (The outbox
/// writes one script per conversation per batch, so how many conversations share a batch matters.) The baseline is the in-memory store with the producers and
/// subscribers on one store. Each iteration starts its responses and its subscribers beforehand (IterationSetup, not
/// measured: the subscribers have received Started), then measures the deltas and Finished events from the first Publish
/// to the last event received. Events per second = 1e9 / (ns per event).
/// </summary>
[MemoryDiagnoser]
[WarmupCount(1)]
[IterationCount(6)]
[InvocationCount(1, unrollFactor: 1)]
public class RedisEndToEndBenchmarks
{
    private const int Deltas = 100_000;
    private const int Producers = 2;

    private RedisBenchmarkServer _server = null!;
    private ConnectionMultiplexer _redisA = null!;
    private ConnectionMultiplexer _redisB = null!;
    private RedisChatStreamingStore _a = null!;
    private RedisChatStreamingStore _b = null!;
    private DefaultChatStreamingStore _memory = null!;
    private int _iteration;
    private string[] _ids = [];
    private Task<long>[] _subscribers = [];

    /// <summary>How many conversations stream at once (each gets 100,000 / this many deltas).</summary>
    [Params(10, 100)]
    public int Conversations { get; set; }

    private int DeltasPerConversation => Deltas / Conversations;

    [GlobalSetup]
    public void Setup()
    {
        _server = RedisBenchmarkServer.Start();
        _redisA = _server.Connect();
        _redisB = _server.Connect();
        // The producers publish far faster than any model: the default outbox (100,000 events) would refuse deltas
        // while Redis catches up. The measure is the time until B has everything, so a larger outbox does not flatter it.
        var redisOptions = new RedisChatStreamingOptions { MaxOutboxLength = 1_000_000 };
        _a = new RedisChatStreamingStore(_redisA, Options(), redisOptions);
        _b = new RedisChatStreamingStore(_redisB, Options(), redisOptions);
        _memory = new DefaultChatStreamingStore(Options());
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        _memory.Dispose();
        _a.Dispose();
        _b.Dispose();
        _redisA.Dispose();
        _redisB.Dispose();
        _server.Dispose();
    }

    [IterationSetup(Target = nameof(InMemory))]
    public void SetupInMemory() => StartResponses(_memory, _memory);

    [IterationSetup(Target = nameof(Redis))]
    public void SetupRedis() => StartResponses(_a, _b);

    [IterationCleanup(Target = nameof(Redis))]
    public void CleanupRedis()
    {
        RedisBenchmarkWait.UntilDrained(_a);

        // Keeps the server's memory flat across iterations: each one leaves 100,000 stream entries behind.
        _server.FlushAll();
    }

    // Per delta (the Finished events, 10 or 100 per iteration, ride along unmeasured in the count).
    [Benchmark(Baseline = true, OperationsPerInvoke = Deltas, Description = "in-memory: producer and subscriber on one store")]
    public Task<long> InMemory() => RunAsync(_memory);

    [Benchmark(OperationsPerInvoke = Deltas, Description = "Redis: producers on A, subscribers on B")]
    public Task<long> Redis() => RunAsync(_a);

    /// <summary>Publishes Started on the producer's store and waits until each subscriber on the other store has received it.</summary>
    private void StartResponses(IChatStreamingStore producer, IChatStreamingStore subscriber)
    {
        int iteration = ++_iteration;
        _ids = [.. Enumerable.Range(0, Conversations).Select(c => $"i{iteration}-c{c}")];

        foreach (string id in _ids)
        {
            producer.Publish(ChatStreamingEvent.Started(id));
        }

        var ready = new Task[_ids.Length];
        _subscribers = new Task<long>[_ids.Length];
        for (int c = 0; c < _ids.Length; c++)
        {
            var started = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            string id = _ids[c];
            ready[c] = started.Task;
            _subscribers[c] = Task.Run(() => ReceiveAsync(subscriber, id, started));
        }

        if (!Task.WaitAll(ready, TimeSpan.FromSeconds(60)))
        {
            throw new TimeoutException("The subscribers did not receive Started within 60 s.");
        }
    }

    private static async Task<long> ReceiveAsync(IChatStreamingStore store, string id, TaskCompletionSource started)
    {
        long characters = 0;
        await foreach (ChatStreamingEvent e in store.SubscribeAsync(id))
        {
            if (e.Kind == ChatStreamingEventKind.Started)
            {
                started.TrySetResult();
            }

            characters += e.Text?.Length ?? 0;
        }

        return characters;
    }

    private async Task<long> RunAsync(IChatStreamingStore producer)
    {
        string[] ids = _ids;
        int perConversation = DeltasPerConversation;
        ChatStreamingEvent[] deltas = [.. ids.Select(Tokens.DeltaFor)];
        Task[] producers = [.. Enumerable.Range(0, Producers).Select(p => Task.Run(() =>
        {
            int[] mine = [.. Enumerable.Range(0, ids.Length).Where(c => c % Producers == p)];
            for (int i = 0; i < perConversation; i++)
            {
                foreach (int c in mine)
                {
                    producer.Publish(deltas[c]);
                }
            }

            foreach (int c in mine)
            {
                producer.Publish(ChatStreamingEvent.Finished(ids[c]));
            }
        }))];

        await Task.WhenAll(producers);
        long[] received = await Task.WhenAll(_subscribers);
        long total = received.Sum();
        if (total != 3L * Deltas)
        {
            throw new InvalidOperationException($"Lost text: {total} characters received.");
        }

        return total;
    }

    private static ChatStreamingOptions Options() => new()
    {
        RetentionPeriod = TimeSpan.Zero,
        IdleTimeout = Timeout.InfiniteTimeSpan,

        // Room for a burst: with the default 256 a subscriber that falls behind has its deltas merged (Coalesce), which
        // is correct but would make the two stores deliver different numbers of events.
        SubscriberCapacity = 4_096,
    };
}
