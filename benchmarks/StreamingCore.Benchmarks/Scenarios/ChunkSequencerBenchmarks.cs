using BenchmarkDotNet.Attributes;

namespace StreamingCore.Benchmarks.Scenarios;

/// <summary>ChunkSequencer&lt;T&gt;: offering and reading chunks in order, and with 10% of neighbouring chunks swapped.</summary>
[MemoryDiagnoser]
public class ChunkSequencerBenchmarks
{
    private const int Chunks = 10_000;

    private StreamChunk<int>[] _inOrder = null!;
    private StreamChunk<int>[] _reordered = null!;

    [GlobalSetup]
    public void Setup()
    {
        _inOrder = Enumerable.Range(1, Chunks).Select(i => new StreamChunk<int>(i, i, DateTimeOffset.UnixEpoch)).ToArray();
        _reordered = (StreamChunk<int>[])_inOrder.Clone();
        var random = new Random(42);
        for (int i = 0; i + 1 < Chunks; i += 2)
        {
            if (random.NextDouble() < 0.2)
            {
                (_reordered[i], _reordered[i + 1]) = (_reordered[i + 1], _reordered[i]);
            }
        }
    }

    [Benchmark(Baseline = true, OperationsPerInvoke = Chunks, Description = "in order")]
    public long InOrder() => Run(_inOrder);

    [Benchmark(OperationsPerInvoke = Chunks, Description = "10% reordered")]
    public long Reordered() => Run(_reordered);

    private static long Run(StreamChunk<int>[] chunks)
    {
        using var sequencer = new ChunkSequencer<int>();
        long sum = 0;
        foreach (StreamChunk<int> chunk in chunks)
        {
            sequencer.Offer(chunk);
            while (sequencer.Reader.TryRead(out StreamChunk<int> released))
            {
                sum += released.Data;
            }
        }

        return sum;
    }
}
