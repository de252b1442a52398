using BenchmarkDotNet.Attributes;

namespace StreamingCore.Benchmarks.Scenarios;

/// <summary>BackpressureHandler: the per-item cost of tracking a level, and of asking whether to wait when not paused.</summary>
[MemoryDiagnoser]
public class BackpressureBenchmarks
{
    private const int Operations = 10_000;

    private readonly BackpressureHandler _handler = new(new BackpressureOptions { HighWatermark = 1_000_000, LowWatermark = 10 });

    [Benchmark(Baseline = true, OperationsPerInvoke = Operations, Description = "Add+Release")]
    public long AddRelease()
    {
        for (int i = 0; i < Operations; i++)
        {
            _handler.Add(1);
            _handler.Release(1);
        }

        return _handler.Level;
    }

    [Benchmark(OperationsPerInvoke = Operations, Description = "Add+WaitAsync+Release")]
    public async Task<long> AddWaitRelease()
    {
        for (int i = 0; i < Operations; i++)
        {
            _handler.Add(1);
            await _handler.WaitAsync();
            _handler.Release(1);
        }

        return _handler.Level;
    }
}
