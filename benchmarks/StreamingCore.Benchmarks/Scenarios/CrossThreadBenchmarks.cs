using System.Threading.Channels;
using BenchmarkDotNet.Attributes;

namespace StreamingCore.Benchmarks.Scenarios;

/// <summary>
/// Issue 11: the path a real server takes. One producer task publishes <see cref="Events"/> deltas while one consumer
/// task reads them, each on its own thread, so every event pays a cross-thread hand-off and a reader wake-up. Written
/// the way a new user would: the store's consumer is <c>await foreach</c> over <c>SubscribeAsync</c>; the channels'
/// consumer is <c>await foreach</c> over <c>ReadAllAsync</c>. Baselines: an unbounded channel (SingleReader,
/// SingleWriter) and a bounded channel in Wait mode with the same capacity as the store's subscriber queue.
/// </summary>
/// <remarks>
/// The store's queue is the default <see cref="OverflowStrategy.Coalesce"/>: when the consumer falls
/// <see cref="Capacity"/> events behind, deltas are merged (no text is lost; the run checks every character arrived),
/// so the consumer may receive fewer, longer events than were published. The cost is per published event.
/// </remarks>
[MemoryDiagnoser]
public class CrossThreadBenchmarks
{
    private const int Events = 100_000;
    private const string ConversationId = "cross-thread";

    private static readonly ChatStreamingEvent Delta = ChatStreamingEvent.Delta(ConversationId, "tok");

    private DefaultChatStreamingStore _store = null!;

    /// <summary>
    /// The subscriber queue's capacity (SubscriberCapacity; 256 is the default), and the bounded channel's. Not 64: a consumer
    /// descheduled for about 17 ms (common on these shared 2-core machines) lets a producer at several million events per
    /// second fill a 64-event queue to its MaxCount with coalesced 4 KiB deltas, and the store then cuts the subscriber off
    /// as stuck (SubscriberOverflow), as designed. From 256 on a response of 100,000 deltas cannot reach that limit.
    /// </summary>
    [Params(256, 1024)]
    public int Capacity { get; set; }

    [GlobalSetup]
    public void Setup()
        => _store = new DefaultChatStreamingStore(new ChatStreamingOptions
        {
            RetentionPeriod = TimeSpan.Zero,
            IdleTimeout = Timeout.InfiniteTimeSpan,
            SubscriberCapacity = Capacity,
        });

    [GlobalCleanup]
    public void Cleanup() => _store.Dispose();

    [Benchmark(Baseline = true, OperationsPerInvoke = Events, Description = "unbounded Channel<T>, producer task -> consumer task")]
    public Task<long> UnboundedChannel()
        => RunChannelAsync(Channel.CreateUnbounded<ChatStreamingEvent>(new UnboundedChannelOptions { SingleReader = true, SingleWriter = true }));

    [Benchmark(OperationsPerInvoke = Events, Description = "bounded Channel<T> (Wait, same capacity), producer task -> consumer task")]
    public Task<long> BoundedChannel()
        => RunChannelAsync(Channel.CreateBounded<ChatStreamingEvent>(new BoundedChannelOptions(Capacity) { FullMode = BoundedChannelFullMode.Wait, SingleReader = true, SingleWriter = true }));

    [Benchmark(OperationsPerInvoke = Events, Description = "StreamingCore Publish task -> SubscribeAsync task")]
    public async Task<long> Store()
    {
        _store.Publish(ChatStreamingEvent.Started(ConversationId));

        // Subscribed before the producer starts, so every delta takes the live path (the first event is the Started).
        IAsyncEnumerator<ChatStreamingEvent> subscription = _store.SubscribeAsync(ConversationId).GetAsyncEnumerator();
        if (!await subscription.MoveNextAsync())
        {
            throw new InvalidOperationException("The subscription ended before Started.");
        }

        Task<long> consumer = Task.Run(async () =>
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
        Task producer = Task.Run(() =>
        {
            for (int i = 0; i < Events; i++)
            {
                _store.Publish(Delta);
            }

            _store.Publish(ChatStreamingEvent.Finished(ConversationId));
        });

        await producer;
        return Check(await consumer);
    }

    private static async Task<long> RunChannelAsync(Channel<ChatStreamingEvent> channel)
    {
        Task<long> consumer = Task.Run(async () =>
        {
            long characters = 0;
            await foreach (ChatStreamingEvent e in channel.Reader.ReadAllAsync())
            {
                characters += e.Text?.Length ?? 0;
            }

            return characters;
        });
        Task producer = Task.Run(async () =>
        {
            ChannelWriter<ChatStreamingEvent> writer = channel.Writer;
            for (int i = 0; i < Events; i++)
            {
                await writer.WriteAsync(Delta);
            }

            writer.Complete();
        });

        await producer;
        return Check(await consumer);
    }

    private static long Check(long characters)
        => characters == 3L * Events ? characters : throw new InvalidOperationException($"Lost text: {characters} characters received.");
}
