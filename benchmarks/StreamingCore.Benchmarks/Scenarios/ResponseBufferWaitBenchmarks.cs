using System.Threading.Channels;
using BenchmarkDotNet.Attributes;

namespace StreamingCore.Benchmarks.Scenarios;

/// <summary>
/// Issue 11: ResponseBuffer&lt;T&gt; in <see cref="OverflowStrategy.Wait"/> mode against a bounded Channel&lt;T&gt; in
/// <see cref="BoundedChannelFullMode.Wait"/> mode of the same capacity: one producer task awaits <c>WriteAsync</c> for
/// every item while one consumer task reads them with <c>ReadAllAsync</c>, so the producer waits whenever the buffer is
/// full (true backpressure). Cost per item.
/// </summary>
[MemoryDiagnoser]
public class ResponseBufferWaitBenchmarks
{
    private const int Items = 100_000;

    [Params(64, 1024)]
    public int Capacity { get; set; }

    [Benchmark(Baseline = true, OperationsPerInvoke = Items, Description = "bounded Channel<T> Wait, producer task -> consumer task")]
    public Task<long> Channel()
        => RunAsync(System.Threading.Channels.Channel.CreateBounded<int>(new BoundedChannelOptions(Capacity) { FullMode = BoundedChannelFullMode.Wait }));

    [Benchmark(OperationsPerInvoke = Items, Description = "ResponseBuffer<T> Wait, producer task -> consumer task")]
    public Task<long> Buffer()
        => RunAsync(new ResponseBuffer<int>(new ResponseBufferOptions<int> { Capacity = Capacity, OverflowStrategy = OverflowStrategy.Wait }));

    private static async Task<long> RunAsync(Channel<int> channel)
    {
        Task<long> consumer = Task.Run(async () =>
        {
            long sum = 0;
            await foreach (int item in channel.Reader.ReadAllAsync())
            {
                sum += item;
            }

            return sum;
        });
        Task producer = Task.Run(async () =>
        {
            ChannelWriter<int> writer = channel.Writer;
            for (int i = 0; i < Items; i++)
            {
                await writer.WriteAsync(i);
            }

            writer.Complete();
        });

        await producer;
        long total = await consumer;
        return total == (long)Items * (Items - 1) / 2 ? total : throw new InvalidOperationException($"Lost items: the sum is {total}.");
    }
}
