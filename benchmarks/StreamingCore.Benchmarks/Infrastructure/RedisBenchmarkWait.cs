using System.Diagnostics;
using StreamingCore.Redis;

namespace StreamingCore.Benchmarks.Infrastructure;

/// <summary>Waits, outside the measured code, for what the Redis store does in the background.</summary>
internal static class RedisBenchmarkWait
{
    private static readonly TimeSpan Limit = TimeSpan.FromSeconds(60);

    /// <summary>
    /// Waits until every event the store queued has been written to Redis. Checked every millisecond: the store offers a
    /// count, not a signal, and a millisecond is nothing next to an iteration.
    /// </summary>
    /// <exception cref="TimeoutException">The outbox did not drain within a minute (Redis is gone or the writer is stuck).</exception>
    public static void UntilDrained(RedisChatStreamingStore store)
    {
        var waited = Stopwatch.StartNew();
        while (store.OutboxLength > 0)
        {
            if (waited.Elapsed > Limit)
            {
                throw new TimeoutException($"The Redis outbox still holds {store.OutboxLength} events after {Limit.TotalSeconds:F0} s.");
            }

            Thread.Sleep(1);
        }
    }
}
