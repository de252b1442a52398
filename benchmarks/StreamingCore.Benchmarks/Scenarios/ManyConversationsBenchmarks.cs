using System.Threading.Channels;
using BenchmarkDotNet.Attributes;

namespace StreamingCore.Benchmarks.Scenarios;

/// <summary>
/// Issue 11: 10,000 conversations, each read by its own consumer task, one producer task publishing
/// <see cref="DeltasPerConversation"/> deltas to each of them in turn; against 10,000 unbounded channels
/// (SingleReader, SingleWriter) with 10,000 consumer tasks. The subscriptions and channels, and their consumer tasks,
/// are set up before each iteration (the consumers wait for their first delta); an iteration is the deltas, the
/// Finished events (the channels' completion) and every consumer's end. Cost per published delta.
/// </summary>
[MemoryDiagnoser]
[WarmupCount(2)]
[IterationCount(10)]
[InvocationCount(1, unrollFactor: 1)]
public class ManyConversationsBenchmarks
{
    private const int Conversations = 10_000;
    private const int DeltasPerConversation = 100;

    private string[] _ids = null!;
    private ChatStreamingEvent[] _deltas = null!;
    private Channel<ChatStreamingEvent>[] _channels = null!;
    private DefaultChatStreamingStore _store = null!;
    private Task<long>[] _consumers = null!;

    /// <summary>The subscriber queue's capacity (SubscriberCapacity).</summary>
    [Params(64, 1024)]
    public int Capacity { get; set; }

    [GlobalSetup]
    public void Setup()
    {
        _ids = Enumerable.Range(0, Conversations).Select(i => $"conversation-{i}").ToArray();
        _deltas = _ids.Select(id => ChatStreamingEvent.Delta(id, "tok")).ToArray();
        _consumers = new Task<long>[Conversations];
    }

    [IterationSetup(Target = nameof(Channels))]
    public void SetupChannels()
    {
        _channels = new Channel<ChatStreamingEvent>[Conversations];
        for (int c = 0; c < Conversations; c++)
        {
            Channel<ChatStreamingEvent> channel = Channel.CreateUnbounded<ChatStreamingEvent>(new UnboundedChannelOptions { SingleReader = true, SingleWriter = true });
            _channels[c] = channel;
            _consumers[c] = Task.Run(async () =>
            {
                long characters = 0;
                await foreach (ChatStreamingEvent e in channel.Reader.ReadAllAsync())
                {
                    characters += e.Text?.Length ?? 0;
                }

                return characters;
            });
        }

        Settle();
    }

    [IterationSetup(Target = nameof(Store))]
    public void SetupStore()
    {
        _store = new DefaultChatStreamingStore(new ChatStreamingOptions
        {
            RetentionPeriod = TimeSpan.Zero,
            IdleTimeout = Timeout.InfiniteTimeSpan,
            SubscriberCapacity = Capacity,
            MaxActiveResponses = Conversations,
        });
        for (int c = 0; c < Conversations; c++)
        {
            _store.Publish(ChatStreamingEvent.Started(_ids[c]));
            IAsyncEnumerator<ChatStreamingEvent> subscription = _store.SubscribeAsync(_ids[c]).GetAsyncEnumerator();

            // The replayed Started completes at once; the subscription is registered for the live deltas.
            if (!subscription.MoveNextAsync().AsTask().GetAwaiter().GetResult())
            {
                throw new InvalidOperationException("The subscription ended before Started.");
            }

            _consumers[c] = Task.Run(async () =>
            {
                long characters = 0;
                await using (subscription)
                {
                    while (await subscription.MoveNextAsync())
                    {
                        characters += subscription.Current.Text?.Length ?? 0;
                    }
                }

                return characters;
            });
        }

        Settle();
    }

    [IterationCleanup(Target = nameof(Store))]
    public void CleanupStore() => _store.Dispose();

    [Benchmark(Baseline = true, OperationsPerInvoke = Conversations * DeltasPerConversation, Description = "10,000 unbounded Channel<T>, producer task -> 10,000 consumer tasks")]
    public async Task<long> Channels()
    {
        await Task.Run(() =>
        {
            for (int i = 0; i < DeltasPerConversation; i++)
            {
                for (int c = 0; c < Conversations; c++)
                {
                    _channels[c].Writer.TryWrite(_deltas[c]);
                }
            }

            foreach (Channel<ChatStreamingEvent> channel in _channels)
            {
                channel.Writer.Complete();
            }
        });
        return Check(await Task.WhenAll(_consumers));
    }

    [Benchmark(OperationsPerInvoke = Conversations * DeltasPerConversation, Description = "StreamingCore, Publish task -> 10,000 SubscribeAsync tasks")]
    public async Task<long> Store()
    {
        await Task.Run(() =>
        {
            for (int i = 0; i < DeltasPerConversation; i++)
            {
                for (int c = 0; c < Conversations; c++)
                {
                    _store.Publish(_deltas[c]);
                }
            }

            foreach (string id in _ids)
            {
                _store.Publish(ChatStreamingEvent.Finished(id));
            }
        });
        return Check(await Task.WhenAll(_consumers));
    }

    // Lets the consumer tasks reach their first wait before the iteration starts.
    private void Settle()
    {
        SpinWait.SpinUntil(() => ThreadPool.PendingWorkItemCount == 0, TimeSpan.FromSeconds(10));
        GC.Collect();
        GC.WaitForPendingFinalizers();
    }

    private static long Check(long[] characters)
        => characters.All(c => c == 3L * DeltasPerConversation) ? characters.Sum() : throw new InvalidOperationException("Lost text.");
}
