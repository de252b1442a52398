using System.Threading.Channels;
using BenchmarkDotNet.Attributes;

namespace StreamingCore.Benchmarks.Scenarios;

/// <summary>
/// ResponseBuffer&lt;T&gt; under pressure, per strategy: each operation writes one item into a full buffer (so
/// the strategy applies) and reads one. For Wait and Reject a write into the full buffer is refused, so they
/// alternate between a refused and an accepted write. Baseline: a bounded Channel&lt;T&gt; in DropOldest mode.
/// </summary>
[MemoryDiagnoser]
public class ResponseBufferBenchmarks
{
    private const int Capacity = 64;
    private const int Operations = 10_000;

    private Channel<int> _channel = null!;
    private ResponseBuffer<int> _buffer = null!;

    [Params(OverflowStrategy.DropOldest, OverflowStrategy.DropNewest, OverflowStrategy.Reject, OverflowStrategy.Wait, OverflowStrategy.Coalesce)]
    public OverflowStrategy Strategy { get; set; }

    [GlobalSetup]
    public void Setup()
    {
        _channel = System.Threading.Channels.Channel.CreateBounded<int>(new BoundedChannelOptions(Capacity) { FullMode = BoundedChannelFullMode.DropOldest });
        _buffer = new ResponseBuffer<int>(new ResponseBufferOptions<int>
        {
            Capacity = Capacity,
            OverflowStrategy = Strategy,
            Merge = static (int queued, int incoming, out int merged) => { merged = queued + incoming; return MergeResult.Merged; },
        });
        for (int i = 0; i < Capacity; i++)
        {
            _channel.Writer.TryWrite(i);
            _buffer.Writer.TryWrite(i);
        }
    }

    [Benchmark(Baseline = true, OperationsPerInvoke = Operations, Description = "bounded Channel<T> DropOldest")]
    public int Channel()
    {
        int sum = 0;
        for (int i = 0; i < Operations; i++)
        {
            _channel.Writer.TryWrite(i);
            _channel.Reader.TryRead(out int item);
            sum += item;
        }

        return sum;
    }

    [Benchmark(OperationsPerInvoke = Operations, Description = "ResponseBuffer<T>")]
    public int Buffer()
    {
        int sum = 0;
        for (int i = 0; i < Operations; i++)
        {
            _buffer.Writer.TryWrite(i);
            _buffer.Reader.TryRead(out int item);
            sum += item;
        }

        return sum;
    }
}
