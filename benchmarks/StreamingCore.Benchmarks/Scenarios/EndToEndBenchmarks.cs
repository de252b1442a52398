using BenchmarkDotNet.Attributes;

namespace StreamingCore.Benchmarks.Scenarios;

/// <summary>
/// Goal 6: 1,000 conversations × 1,000 deltas, one async consumer task per conversation and two producer
/// tasks, on this machine. Events per second = 1e9 / (ns per event).
/// </summary>
[MemoryDiagnoser]
[WarmupCount(1)]
[IterationCount(5)]
[InvocationCount(1, unrollFactor: 1)]
public class EndToEndBenchmarks
{
    private const int Conversations = 1_000;
    private const int DeltasPerConversation = 1_000;
    private const int Producers = 2;

    private string[] _ids = null!;
    private ChatStreamingEvent[] _deltas = null!;

    [GlobalSetup]
    public void Setup()
    {
        _ids = Enumerable.Range(0, Conversations).Select(i => $"conversation-{i}").ToArray();
        _deltas = _ids.Select(id => ChatStreamingEvent.Delta(id, "tok")).ToArray();
    }

    [Benchmark(OperationsPerInvoke = Conversations * DeltasPerConversation, Description = "1,000 conversations x 1,000 deltas, async consumers")]
    public async Task<long> Store()
    {
        using var store = new DefaultChatStreamingStore(new ChatStreamingOptions { RetentionPeriod = TimeSpan.Zero });
        Task<int>[] consumers = _ids.Select(id => Task.Run(async () =>
        {
            int characters = 0;
            await foreach (ChatStreamingEvent e in store.SubscribeAsync(id))
            {
                characters += e.Text?.Length ?? 0;
            }

            return characters;
        })).ToArray();

        Task[] producers = Enumerable.Range(0, Producers).Select(p => Task.Run(() =>
        {
            int[] mine = Enumerable.Range(0, Conversations).Where(c => c % Producers == p).ToArray();
            foreach (int c in mine)
            {
                store.Publish(ChatStreamingEvent.Started(_ids[c]));
            }

            for (int i = 0; i < DeltasPerConversation; i++)
            {
                foreach (int c in mine)
                {
                    store.Publish(_deltas[c]);
                }
            }

            foreach (int c in mine)
            {
                store.Publish(ChatStreamingEvent.Finished(_ids[c]));
            }
        })).ToArray();

        await Task.WhenAll(producers);
        int[] received = await Task.WhenAll(consumers);
        long total = received.Sum(r => (long)r);
        if (total != 3L * Conversations * DeltasPerConversation)
        {
            throw new InvalidOperationException($"Lost text: {total} characters received.");
        }

        return total;
    }
}
