using System.Diagnostics;
using System.Globalization;
using StackExchange.Redis;
using StreamingCore.Redis;

namespace StreamingCore.Benchmarks.Infrastructure;

/// <summary>
/// A→B delivery latency at a fixed rate: deltas published on instance A at 10,000 events/s (round robin over 100
/// conversations), each received by a subscriber on instance B (two <see cref="RedisChatStreamingStore"/>s on one local
/// redis-server, in this process). An event's latency is the <see cref="Stopwatch"/> time from just before its Publish on
/// A to its arrival in B's subscriber loop. The in-memory store (publisher and subscriber on one store) runs the same load
/// as the baseline. A short warm-up run of each comes first and is not reported.
/// Run with: dotnet run -c Release --project benchmarks/StreamingCore.Benchmarks -- redis-latency [--quick] [--conversations N]
/// </summary>
internal static class RedisLatencyReport
{
    public const string Command = "redis-latency";

    private const int Rate = 10_000;

    /// <summary>Runs the report; <paramref name="conversations"/> streams share the rate (100 by default).</summary>
    public static async Task<int> RunAsync(TextWriter output, bool quick, int conversations = 100)
    {
        TimeSpan duration = TimeSpan.FromSeconds(quick ? 1 : 5);
        TimeSpan warmUp = TimeSpan.FromSeconds(quick ? 0.2 : 1);
        CultureInfo inv = CultureInfo.InvariantCulture;
        output.WriteLine(string.Create(inv, $"{Rate:N0} events/s on A for {duration.TotalSeconds:F0} s, {conversations} conversations, one subscriber each on B; {Environment.ProcessorCount} cores; load average before: {LoadAverage()}."));

        using var server = RedisBenchmarkServer.Start();
        await using ConnectionMultiplexer redisA = await ConnectionMultiplexer.ConnectAsync(server.Configuration);
        await using ConnectionMultiplexer redisB = await ConnectionMultiplexer.ConnectAsync(server.Configuration);
        await using var a = new RedisChatStreamingStore(redisA, Options());
        await using var b = new RedisChatStreamingStore(redisB, Options());
        using var memory = new DefaultChatStreamingStore(Options());

        output.WriteLine("| store | events published | achieved rate (events/s) | received | merged by Coalesce | p50 (ms) | p90 (ms) | p99 (ms) | p99.9 (ms) | max (ms) |");
        output.WriteLine("|---|---|---|---|---|---|---|---|---|---|");
        bool complete = true;
        foreach ((string name, IChatStreamingStore producer, IChatStreamingStore subscriber) in (List<(string, IChatStreamingStore, IChatStreamingStore)>)[("in-memory (one store)", memory, memory), ("Redis, A → B", a, b)])
        {
            await RunOnceAsync($"warm-{name}", producer, subscriber, warmUp, conversations);
            Result result = await RunOnceAsync(name, producer, subscriber, duration, conversations);
            complete &= result.Received + result.Merged == result.Published;
            output.WriteLine(string.Create(inv,
                $"| {name} | {result.Published:N0} | {result.AchievedRate:N0} | {result.Received:N0} | {result.Merged:N0} | {result.Percentile(0.50):F3} | {result.Percentile(0.90):F3} | {result.Percentile(0.99):F3} | {result.Percentile(0.999):F3} | {result.Percentile(1):F3} |"));
        }

        output.WriteLine(string.Create(inv, $"Load average after: {LoadAverage()}."));
        if (!complete)
        {
            output.WriteLine("Some events did not arrive.");
            return 1;
        }

        return 0;
    }

    private static async Task<Result> RunOnceAsync(string name, IChatStreamingStore producer, IChatStreamingStore subscriber, TimeSpan duration, int conversations)
    {
        int perConversation = (int)(Rate * duration.TotalSeconds / conversations) + 1;
        string[] ids = [.. Enumerable.Range(0, conversations).Select(c => $"{name}-{c}")];
        ChatStreamingEvent[] deltas = [.. ids.Select(id => ChatStreamingEvent.Delta(id, "tok"))];

        // published[c][sequence]: the Stopwatch timestamp just before that event's Publish. Written before the event can
        // reach the subscriber, read after it did.
        long[][] published = [.. ids.Select(_ => new long[perConversation + 3])];
        var latencies = new List<long>[conversations];
        var merged = new int[conversations];
        var ready = new Task[conversations];
        var receivers = new Task[conversations];
        for (int c = 0; c < conversations; c++)
        {
            producer.Publish(ChatStreamingEvent.Started(ids[c]));
            var started = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            ready[c] = started.Task;
            int conversation = c;
            latencies[c] = new List<long>(perConversation);
            receivers[c] = Task.Run(async () =>
            {
                long previous = 1;
                await foreach (ChatStreamingEvent e in subscriber.SubscribeAsync(ids[conversation]))
                {
                    long now = Stopwatch.GetTimestamp();
                    if (e.Kind == ChatStreamingEventKind.Started)
                    {
                        started.TrySetResult();
                    }
                    else if (e.Kind == ChatStreamingEventKind.Delta)
                    {
                        latencies[conversation].Add(now - Volatile.Read(ref published[conversation][e.Sequence]));
                        merged[conversation] += (int)(e.Sequence - previous - 1);
                    }

                    previous = e.Sequence;
                }
            });
        }

        await Task.WhenAll(ready).WaitAsync(TimeSpan.FromSeconds(60));

        // The publisher paces itself on the clock: every millisecond tick it publishes what is due by then (about ten
        // events), so the rate is exact over the run and bursts are at most a tick long.
        long count = 0;
        var elapsed = Stopwatch.StartNew();
        await Task.Factory.StartNew(
            () =>
            {
                long total = (long)(Rate * duration.TotalSeconds);
                while (count < total)
                {
                    long due = Math.Min(total, (long)(elapsed.Elapsed.TotalSeconds * Rate));
                    while (count < due)
                    {
                        int c = (int)(count % conversations);
                        long sequence = 2 + (count / conversations);
                        Volatile.Write(ref published[c][sequence], Stopwatch.GetTimestamp());
                        ChatStreamingEvent stamped = producer.Publish(deltas[c]);
                        if (stamped.Sequence != sequence)
                        {
                            throw new InvalidOperationException($"Expected sequence {sequence}, stamped {stamped.Sequence}.");
                        }

                        count++;
                    }

                    Thread.Sleep(1);
                }
            },
            TaskCreationOptions.LongRunning);
        TimeSpan publishing = elapsed.Elapsed;
        foreach (string id in ids)
        {
            producer.Publish(ChatStreamingEvent.Finished(id));
        }

        await Task.WhenAll(receivers).WaitAsync(TimeSpan.FromSeconds(60));
        long[] all = [.. latencies.SelectMany(l => l)];
        Array.Sort(all);
        return new Result(count, count / publishing.TotalSeconds, all, merged.Sum());
    }

    private static ChatStreamingOptions Options() => new()
    {
        RetentionPeriod = TimeSpan.FromSeconds(1),
        IdleTimeout = Timeout.InfiniteTimeSpan,
        SubscriberCapacity = 4_096,
    };

    private static string LoadAverage()
    {
        try
        {
            return string.Join(' ', File.ReadAllText("/proc/loadavg").Split(' ').Take(3));
        }
        catch (IOException)
        {
            return "unknown";
        }
    }

    /// <summary>One run: events published, the rate achieved, the sorted latencies (Stopwatch ticks) of the deltas received, and how many deltas arrived merged into a later one.</summary>
    private sealed record Result(long Published, double AchievedRate, long[] Latencies, long Merged)
    {
        public long Received => Latencies.LongLength;

        /// <summary>The latency at quantile <paramref name="q"/> (nearest rank) in milliseconds.</summary>
        public double Percentile(double q)
        {
            if (Latencies.Length == 0)
            {
                return double.NaN;
            }

            long index = Math.Clamp((long)Math.Ceiling(q * Latencies.Length) - 1, 0, Latencies.Length - 1);
            return Latencies[index] * 1000.0 / Stopwatch.Frequency;
        }
    }
}
