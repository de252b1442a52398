using System.Threading.Channels;
using BenchmarkDotNet.Attributes;
using StreamingCore.Benchmarks.Infrastructure;

namespace StreamingCore.Benchmarks.Scenarios;

/// <summary>Goal 4: one conversation with 1, 10 and 100 subscribers, against writing to (and reading from) as many raw channels.</summary>
[MemoryDiagnoser]
public class FanOutBenchmarks
{
    private const int Events = 1_000;

    private Channel<ChatStreamingEvent>[] _channels = null!;
    private StoreDriver _store = null!;

    [Params(1, 10, 100)]
    public int Subscribers { get; set; }

    [GlobalSetup]
    public void Setup()
    {
        _channels = Enumerable.Range(0, Subscribers)
            .Select(_ => Channel.CreateUnbounded<ChatStreamingEvent>(new UnboundedChannelOptions { SingleReader = true, SingleWriter = true }))
            .ToArray();
        _store = new StoreDriver(conversations: 1, Subscribers);
    }

    [GlobalCleanup]
    public void Cleanup() => _store.Dispose();

    [Benchmark(Baseline = true, OperationsPerInvoke = Events, Description = "N x Channel<T> write+read")]
    public async Task<long> Channels()
    {
        long sum = 0;
        for (int i = 0; i < Events; i++)
        {
            foreach (Channel<ChatStreamingEvent> channel in _channels)
            {
                channel.Writer.TryWrite(Tokens.Delta);
            }

            foreach (Channel<ChatStreamingEvent> channel in _channels)
            {
                sum += (await channel.Reader.ReadAsync()).Sequence + 1;
            }
        }

        return sum;
    }

    [Benchmark(OperationsPerInvoke = Events, Description = "StreamingCore Publish, N subscribers receive")]
    public async Task<long> Store()
    {
        long sum = 0;
        for (int i = 0; i < Events; i++)
        {
            sum += await _store.PublishAndReceiveAsync(0);
        }

        return sum;
    }
}
