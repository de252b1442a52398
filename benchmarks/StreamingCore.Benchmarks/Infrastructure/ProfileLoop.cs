using System.Diagnostics;
using System.Globalization;

namespace StreamingCore.Benchmarks.Infrastructure;

/// <summary>
/// The paths of <c>PublishSubscribeBenchmarks</c>, <c>CrossThreadBenchmarks</c> and <c>ManyConversationsBenchmarks</c> run in a
/// loop for a given time, for a sampling profiler to watch (BenchmarkDotNet's processes come and go too fast for one). It
/// prints the nanoseconds per event of the loop, which is no benchmark: use the BenchmarkDotNet classes for numbers.
/// </summary>
/// <remarks>
/// Profiled with Linux perf, which samples on a timer wherever a thread is (EventPipe's sampler stops threads at safe points
/// and charges the time to them). The runtime writes a map of its compiled code for perf, and the code must not be
/// double-mapped for perf to find it:
/// <code>
/// dotnet build -c Release benchmarks/StreamingCore.Benchmarks
/// DOTNET_PerfMapEnabled=1 DOTNET_EnableWriteXorExecute=0 perf record -F 5000 -e cpu-clock -g -o same.data \
///   dotnet benchmarks/StreamingCore.Benchmarks/bin/Release/net10.0/StreamingCore.Benchmarks.dll profile same 6
/// perf report -i same.data --no-children --sort dso,symbol --stdio -g none
/// </code>
/// Modes: <c>same</c> (publish and receive on one thread), <c>publish</c> (publish with no subscriber), <c>cross</c>
/// (a producer task and a consumer task; third argument the subscriber capacity; <c>--rounds</c> prints each round of
/// 100,000 events with how often the consumer parked), <c>many</c> (10,000 conversations, a consumer task each).
/// </remarks>
internal static class ProfileLoop
{
    public const string Command = "profile";

    public static async Task<int> RunAsync(TextWriter output, string[] args)
    {
        string mode = args.Length > 1 ? args[1] : "same";
        double seconds = args.Length > 2 ? double.Parse(args[2], CultureInfo.InvariantCulture) : 5;
        int capacity = args.Length > 3 ? int.Parse(args[3], CultureInfo.InvariantCulture) : 256;
        using var store = new DefaultChatStreamingStore(new ChatStreamingOptions
        {
            RetentionPeriod = TimeSpan.Zero,
            IdleTimeout = Timeout.InfiniteTimeSpan,
            SubscriberCapacity = capacity,
            MaxActiveResponses = 10_000,
        });
        var elapsed = Stopwatch.StartNew();
        long events = 0;
        double measuredNanoseconds = 0;
        while (elapsed.Elapsed.TotalSeconds < seconds)
        {
            var round = Stopwatch.StartNew();
            long published = mode switch
            {
                "same" => await SameThreadAsync(store),
                "publish" => PublishOnly(store),
                "cross" => await CrossThreadAsync(store, round, args.Contains("--rounds") ? output : null),
                "many" => await ManyConversationsAsync(store, round),
                _ => throw new ArgumentException($"Unknown profile mode '{mode}': same, publish, cross or many.", nameof(args)),
            };
            measuredNanoseconds += round.Elapsed.TotalNanoseconds;
            events += published;
        }

        output.WriteLine(string.Create(CultureInfo.InvariantCulture, $"{mode}: {events:N0} events, {measuredNanoseconds / events:F1} ns per event (not a benchmark), {GC.CollectionCount(0)} gen0 collections"));
        return 0;
    }

    private static async Task<long> SameThreadAsync(DefaultChatStreamingStore store)
    {
        ChatStreamingEvent delta = ChatStreamingEvent.Delta("same", "tok");
        store.Publish(ChatStreamingEvent.Started("same"));
        await using IAsyncEnumerator<ChatStreamingEvent> subscription = store.SubscribeAsync("same").GetAsyncEnumerator();
        await subscription.MoveNextAsync();
        for (int i = 0; i < 1_000; i++)
        {
            store.Publish(delta);
            await subscription.MoveNextAsync();
        }

        store.Publish(ChatStreamingEvent.Finished("same"));
        while (await subscription.MoveNextAsync())
        {
        }

        return 1_000;
    }

    private static long PublishOnly(DefaultChatStreamingStore store)
    {
        ChatStreamingEvent delta = ChatStreamingEvent.Delta("publish", "tok");
        store.Publish(ChatStreamingEvent.Started("publish"));
        for (int i = 0; i < 1_000; i++)
        {
            store.Publish(delta);
        }

        store.Publish(ChatStreamingEvent.Finished("publish"));
        return 1_000;
    }

    private static async Task<long> CrossThreadAsync(DefaultChatStreamingStore store, Stopwatch round, TextWriter? rounds)
    {
        const int Deltas = 100_000;
        ChatStreamingEvent delta = ChatStreamingEvent.Delta("cross", "tok");
        store.Publish(ChatStreamingEvent.Started("cross"));
        IAsyncEnumerator<ChatStreamingEvent> subscription = store.SubscribeAsync("cross").GetAsyncEnumerator();
        await subscription.MoveNextAsync();
        // A MoveNextAsync that does not complete at once is a park: the consumer found the queue empty and waits to be woken.
        Task<long> consumer = Task.Run(async () =>
        {
            long parks = 0;
            await using (subscription)
            {
                while (true)
                {
                    ValueTask<bool> move = subscription.MoveNextAsync();
                    if (!move.IsCompleted)
                    {
                        parks++;
                    }

                    if (!await move)
                    {
                        return parks;
                    }
                }
            }
        });
        await Task.Run(() =>
        {
            for (int i = 0; i < Deltas; i++)
            {
                store.Publish(delta);
            }

            store.Publish(ChatStreamingEvent.Finished("cross"));
        });
        long parked = await consumer;
        if (rounds is not null)
        {
            rounds.WriteLine(string.Create(CultureInfo.InvariantCulture, $"round: {round.Elapsed.TotalNanoseconds / Deltas:F0} ns per event, {parked} parks of the consumer"));
        }

        return Deltas;
    }

    private static async Task<long> ManyConversationsAsync(DefaultChatStreamingStore store, Stopwatch round)
    {
        const int Conversations = 10_000;
        const int DeltasEach = 100;
        string[] ids = Enumerable.Range(0, Conversations).Select(i => $"conversation-{i}").ToArray();
        ChatStreamingEvent[] deltas = ids.Select(id => ChatStreamingEvent.Delta(id, "tok")).ToArray();
        var consumers = new Task[Conversations];
        for (int c = 0; c < Conversations; c++)
        {
            store.Publish(ChatStreamingEvent.Started(ids[c]));
            IAsyncEnumerator<ChatStreamingEvent> subscription = store.SubscribeAsync(ids[c]).GetAsyncEnumerator();
            await subscription.MoveNextAsync();
            consumers[c] = Task.Run(async () =>
            {
                await using (subscription)
                {
                    while (await subscription.MoveNextAsync())
                    {
                    }
                }
            });
        }

        // As the benchmark does: the consumers reach their first wait, and only the deltas and the ends are timed.
        SpinWait.SpinUntil(() => ThreadPool.PendingWorkItemCount == 0, TimeSpan.FromSeconds(10));
        round.Restart();
        await Task.Run(() =>
        {
            for (int i = 0; i < DeltasEach; i++)
            {
                for (int c = 0; c < Conversations; c++)
                {
                    store.Publish(deltas[c]);
                }
            }

            foreach (string id in ids)
            {
                store.Publish(ChatStreamingEvent.Finished(id));
            }
        });
        await Task.WhenAll(consumers);
        return (long)Conversations * DeltasEach;
    }
}
