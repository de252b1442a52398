using System.Threading.Channels;
using BenchmarkDotNet.Attributes;

namespace StreamingCore.Benchmarks.Scenarios;

/// <summary>
/// Issue 11: fan-out across threads. One producer task publishes <see cref="Events"/> deltas to one conversation with
/// N subscribers, each read by its own consumer task; against one producer task writing each event to N unbounded
/// channels (SingleReader, SingleWriter), each read by its own consumer task. Cost per published event.
/// </summary>
[MemoryDiagnoser]
[WarmupCount(3)]
[IterationCount(15)]
public class CrossThreadFanOutBenchmarks
{
    private const int Events = 10_000;
    private const string ConversationId = "fan-out";

    private static readonly ChatStreamingEvent Delta = ChatStreamingEvent.Delta(ConversationId, "tok");

    private DefaultChatStreamingStore _store = null!;

    [Params(10, 100)]
    public int Subscribers { get; set; }

    /// <summary>The subscriber queue's capacity (SubscriberCapacity).</summary>
    [Params(64, 1024)]
    public int Capacity { get; set; }

    [GlobalSetup]
    public void Setup()
        => _store = new DefaultChatStreamingStore(new ChatStreamingOptions
        {
            RetentionPeriod = TimeSpan.Zero,
            IdleTimeout = Timeout.InfiniteTimeSpan,
            SubscriberCapacity = Capacity,
            MaxSubscribersPerConversation = Subscribers,
        });

    [GlobalCleanup]
    public void Cleanup() => _store.Dispose();

    [Benchmark(Baseline = true, OperationsPerInvoke = Events, Description = "N x unbounded Channel<T>, producer task -> N consumer tasks")]
    public async Task<long> Channels()
    {
        Channel<ChatStreamingEvent>[] channels = new Channel<ChatStreamingEvent>[Subscribers];
        Task<long>[] consumers = new Task<long>[Subscribers];
        for (int s = 0; s < Subscribers; s++)
        {
            Channel<ChatStreamingEvent> channel = Channel.CreateUnbounded<ChatStreamingEvent>(new UnboundedChannelOptions { SingleReader = true, SingleWriter = true });
            channels[s] = channel;
            consumers[s] = Task.Run(async () =>
            {
                long characters = 0;
                await foreach (ChatStreamingEvent e in channel.Reader.ReadAllAsync())
                {
                    characters += e.Text?.Length ?? 0;
                }

                return characters;
            });
        }

        Task producer = Task.Run(() =>
        {
            for (int i = 0; i < Events; i++)
            {
                foreach (Channel<ChatStreamingEvent> channel in channels)
                {
                    channel.Writer.TryWrite(Delta);
                }
            }

            foreach (Channel<ChatStreamingEvent> channel in channels)
            {
                channel.Writer.Complete();
            }
        });

        await producer;
        return Check(await Task.WhenAll(consumers));
    }

    [Benchmark(OperationsPerInvoke = Events, Description = "StreamingCore Publish task -> N SubscribeAsync tasks")]
    public async Task<long> Store()
    {
        _store.Publish(ChatStreamingEvent.Started(ConversationId));
        Task<long>[] consumers = new Task<long>[Subscribers];
        for (int s = 0; s < Subscribers; s++)
        {
            // Subscribed before the producer starts, so every delta takes the live path (the first event is the Started).
            IAsyncEnumerator<ChatStreamingEvent> subscription = _store.SubscribeAsync(ConversationId).GetAsyncEnumerator();
            if (!await subscription.MoveNextAsync())
            {
                throw new InvalidOperationException("The subscription ended before Started.");
            }

            consumers[s] = Task.Run(async () =>
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

        Task producer = Task.Run(() =>
        {
            for (int i = 0; i < Events; i++)
            {
                _store.Publish(Delta);
            }

            _store.Publish(ChatStreamingEvent.Finished(ConversationId));
        });

        await producer;
        return Check(await Task.WhenAll(consumers));
    }

    private static long Check(long[] characters)
        => characters.All(c => c == 3L * Events) ? characters.Sum() : throw new InvalidOperationException($"Lost text: {string.Join(", ", characters)} characters received.");
}
