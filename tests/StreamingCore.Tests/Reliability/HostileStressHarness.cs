using System.Diagnostics.Metrics;
using System.Globalization;
using System.Text;
using Microsoft.Extensions.DependencyInjection;
using NUnit.Framework;
using StreamingCore.Tests.Support;

namespace StreamingCore.Tests.Reliability;

/// <summary>
/// The store under hostile consumers, as a public endpoint would expose it: stuck and throwing <c>Events</c>
/// observers, subscribers that never read, a flood of waiting subscriptions on random ids, a metrics listener that
/// throws, and enough finished responses to hit the retained-bytes limit. Memory is sampled during the run and must
/// stay within what the configured limits allow; well-behaved subscribers must still reassemble every conversation
/// exactly (no event lost, duplicated or reordered), following it across responses by position.
/// </summary>
internal sealed class HostileStressHarness(int seed)
{
    private const int Producers = 2;
    private const int Conversations = 8;
    private const int FollowersPerConversation = 2;
    private const int StuckObservers = 2;
    private const int ThrowingObservers = 2;
    private const int FloodSize = 100_000;
    private const string EndOfRun = "end of run";

    // A producer starts no response while a follower of that conversation is this many responses behind: an LLM is far
    // slower than a consumer, a tight publish loop is not, and a follower further behind than retention cannot be exact.
    private const int MaxLagInResponses = 8;

    // A churn response (finished, retained, never read again) after this many events of a producer.
    private const int ChurnEvery = 2_000;
    private const int ChurnCharacters = 8 * 1024;

    private static readonly ChatStreamingOptions Options = new()
    {
        SubscriberCapacity = 16,
        MaxWaitingSubscribers = 20_000,
        MaxRetainedBytes = 16L * 1024 * 1024,
        MaxRetainedResponsesPerConversation = 64,
        MaxResponseLength = 10_000_000,
        IdleTimeout = Timeout.InfiniteTimeSpan,
    };

    private static readonly string[] Pieces = ["", "a", "Hello ", "world", " ", "🙂", "漢字", "e\u0301", "\r\n", "data: x", "\0", "мир"];

    public HostileReport Report { get; } = new();

    public int Seed => seed;

    public async Task RunAsync(TimeSpan duration)
    {
        // Each stuck observer blocks a thread-pool thread for the whole run (that is what makes it hostile); give the
        // pool threads for them up front rather than let it starve the well-behaved while it slowly adds threads.
        ThreadPool.GetMinThreads(out int workers, out int ports);
        ThreadPool.SetMinThreads(workers + StuckObservers, ports);
        try
        {
            await RunCoreAsync(duration).ConfigureAwait(false);
        }
        finally
        {
            ThreadPool.SetMinThreads(workers, ports);
        }
    }

    private async Task RunCoreAsync(TimeSpan duration)
    {
        using ServiceProvider services = new ServiceCollection().AddMetrics().BuildServiceProvider();
        IMeterFactory meters = services.GetRequiredService<IMeterFactory>();
        using MeterListener throwingListener = ThrowingListener(meters);
        using var store = new DefaultChatStreamingStore(Options, TimeProvider.System, meterFactory: meters);
        var random = new Random(seed);
        string[] ids = Enumerable.Range(0, Conversations).Select(i => $"c{i}").ToArray();
        long baseline = GC.GetTotalMemory(forceFullCollection: true);

        var stuck = Enumerable.Range(0, StuckObservers).Select(_ => new StuckObserver()).ToList();
        var stuckSubscriptions = stuck.Select(o => store.Events.Subscribe(o)).ToList();
        var throwingSubscriptions = Enumerable.Range(0, ThrowingObservers).Select(i => store.Events.Subscribe(new ThrowingObserver(random.Next(0, 1_000)))).ToList();

        // Followers register before the flood and the producers: their first wait is for the first response.
        var followers = new List<(string Id, Follower Follower, Task Task)>();
        foreach (string id in ids)
        {
            for (int f = 0; f < FollowersPerConversation; f++)
            {
                var follower = new Follower();
                var registered = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
                followers.Add((id, follower, Task.Run(() => follower.FollowAsync(store, id, registered))));
                await registered.Task.Guarded().ConfigureAwait(false);
            }
        }

        // One subscriber per conversation that reads one event and then never again, holding its enumerator.
        var sleepers = new List<IAsyncEnumerator<ChatStreamingEvent>>();
        var sleeperMoves = new List<Task<bool>>();
        foreach (string id in ids)
        {
            IAsyncEnumerator<ChatStreamingEvent> sleeper = store.SubscribeAsync(id).GetAsyncEnumerator(TestGuard.Token);
            sleeperMoves.Add(sleeper.MoveNextAsync().AsTask());
            sleepers.Add(sleeper);
        }

        var flood = new WaitingFlood();
        var sampler = new MemorySampler(baseline);
        using var stop = new CancellationTokenSource();
        Task sampling = sampler.RunAsync(stop.Token);
        Task flooding = Task.Run(() => flood.Run(store, FloodSize, new Random(random.Next())));

        var published = new Dictionary<string, TextDigest>();
        foreach (string id in ids)
        {
            published[id] = new TextDigest();
        }

        var elapsed = System.Diagnostics.Stopwatch.StartNew();
        Task[] producers = Enumerable.Range(0, Producers).Select(p =>
        {
            string[] mine = ids.Where((_, i) => i % Producers == p).ToArray();
            int producerSeed = random.Next();
            Follower[][] watched = mine.Select(id => followers.Where(f => f.Id == id).Select(f => f.Follower).ToArray()).ToArray();
            return Task.Run(() => ProduceAsync(store, p, mine, watched, published, new Random(producerSeed), () => elapsed.Elapsed >= duration));
        }).ToArray();

        await Task.WhenAll(producers).Guarded().ConfigureAwait(false);
        await flooding.Guarded().ConfigureAwait(false);
        await Task.WhenAll(followers.Select(f => f.Task)).Guarded().ConfigureAwait(false);
        await stop.CancelAsync().ConfigureAwait(false);
        await sampling.ConfigureAwait(false);

        // What the well-behaved saw: exactly what was published, conversation by conversation.
        foreach ((string id, Follower follower, _) in followers)
        {
            Assert.That(follower.Violation, Is.Null, $"seed {seed}, {id}");
            Assert.That(follower.Text.Characters, Is.EqualTo(published[id].Characters), $"seed {seed}, {id}: characters");
            Assert.That(follower.Text.Hash, Is.EqualTo(published[id].Hash), $"seed {seed}, {id}: reassembled text");
            Report.FollowerResumes += follower.Resumes;
            Report.FollowerRetries += follower.Retries;
        }

        Report.PeakHeapGrowth = sampler.Peak;
        Report.Samples = sampler.Samples;
        Report.Bound = Bound();
        Report.RetainedBytesAtEnd = store.RetainedBytes;
        Report.WaitingAdmitted = flood.Admitted;
        Report.WaitingRefused = flood.Refused;
        Report.TelemetryFailures = store.TelemetryFailureCount;
        Report.EventsPublished = published.Values.Sum(d => d.Events);

        Assert.Multiple(() =>
        {
            Assert.That(sampler.Samples, Is.GreaterThan(0), "memory was sampled during the run");
            Assert.That(sampler.Peak, Is.LessThanOrEqualTo(Report.Bound), "heap growth stays within what the limits allow");
            Assert.That(store.RetainedBytes, Is.LessThanOrEqualTo(Options.MaxRetainedBytes));
            Assert.That(flood.Admitted, Is.LessThanOrEqualTo(Options.MaxWaitingSubscribers));
            Assert.That(flood.Refused, Is.EqualTo(FloodSize - flood.Admitted), "every waiter beyond the limit was refused with TooManySubscribers");
            Assert.That(store.TelemetryFailureCount, Is.GreaterThan(0), "the throwing metrics listener did throw");
        });

        // The stuck observers were cut off with the typed error, not allowed to grow.
        foreach (StuckObserver observer in stuck)
        {
            observer.Release.Set();
            Exception? error = await observer.Ended.Task.Guarded().ConfigureAwait(false);
            Assert.That(error, Is.InstanceOf<ChatStreamingException>().With.Property("Error").EqualTo(ChatStreamingError.SubscriberOverflow), $"seed {seed}: stuck observer");
            Report.StuckObserversCutOff++;
        }

        foreach (IDisposable subscription in stuckSubscriptions.Concat(throwingSubscriptions))
        {
            subscription.Dispose();
        }

        store.Dispose();
        await flood.EndAsync().ConfigureAwait(false);
        foreach ((IAsyncEnumerator<ChatStreamingEvent> sleeper, Task<bool> move) in sleepers.Zip(sleeperMoves))
        {
            await move.Guarded().ConfigureAwait(false);
            await sleeper.DisposeAsync().ConfigureAwait(false);
        }
    }

    /// <summary>
    /// What the limits allow the store to hold at once, generously: retained bytes (as the store estimates them, plus
    /// the allocator's rounding), each admitted waiter (a conversation, a subscription, its queue, its timer and the
    /// test's pending task: 5 to 7 KiB together in these runs, allowed 8), full queues of stuck and sleeping consumers, and the producers' active responses; plus 32 MiB
    /// for the runtime and the test's own bookkeeping.
    /// </summary>
    private static long Bound()
    {
        long retained = Options.MaxRetainedBytes * 2;
        long waiting = Options.MaxWaitingSubscribers * 8L * 1024;
        long queues = (StuckObservers + Conversations + (Conversations * FollowersPerConversation)) * 2L * Options.SubscriberCapacity * 2 * ChurnCharacters;
        long active = Conversations * 1024L * 1024;
        return retained + waiting + queues + active + (32L * 1024 * 1024);
    }

    private static MeterListener ThrowingListener(IMeterFactory meters)
    {
        int measurements = 0;
        var listener = new MeterListener
        {
            InstrumentPublished = (instrument, l) =>
            {
                if (instrument.Meter.Scope == meters)
                {
                    l.EnableMeasurementEvents(instrument);
                }
            },
        };
        listener.SetMeasurementEventCallback<long>((_, _, _, _) =>
        {
            if (Interlocked.Increment(ref measurements) % 997 == 0)
            {
                throw new InvalidOperationException("A faulty metrics exporter.");
            }
        });
        listener.SetMeasurementEventCallback<double>((_, _, _, _) =>
        {
            if (Interlocked.Increment(ref measurements) % 997 == 0)
            {
                throw new InvalidOperationException("A faulty metrics exporter.");
            }
        });
        listener.Start();
        return listener;
    }

    private static async Task ProduceAsync(IChatStreamingStore store, int producer, string[] ids, Follower[][] followers, Dictionary<string, TextDigest> published, Random random, Func<bool> timeIsUp)
    {
        // Responses interleaved across the producer's conversations, until the time is up; then each ends with a marker.
        var active = new HashSet<string>(StringComparer.Ordinal);
        int[] started = new int[ids.Length];
        long events = 0;
        int churn = 0;
        while (!timeIsUp())
        {
            int pick = random.Next(ids.Length);
            string id = ids[pick];
            TextDigest digest = published[id];
            if (!active.Contains(id))
            {
                if (followers[pick].Any(f => started[pick] - f.ResponsesSeen >= MaxLagInResponses))
                {
                    await Task.Yield();
                    continue;
                }

                active.Add(id);
                started[pick]++;
                store.Publish(ChatStreamingEvent.Started(id));
            }
            else if (random.Next(60) == 0)
            {
                store.Publish(random.Next(4) == 0 ? ChatStreamingEvent.Failed(id, "model error") : ChatStreamingEvent.Finished(id, new TokenUsage(1, 1)));
                active.Remove(id);
            }
            else
            {
                string piece = random.Next(50) == 0 ? new string('k', random.Next(2_000, 6_000)) : Pieces[random.Next(Pieces.Length)];
                store.Publish(ChatStreamingEvent.Delta(id, piece));
                digest.Add(piece);
            }

            digest.Events++;
            if (++events % ChurnEvery == 0)
            {
                // A finished answer nobody reads again: what the retained-bytes limit is for.
                string churnId = $"churn-{producer}-{churn++ % 500}";
                store.Publish(ChatStreamingEvent.Started(churnId));
                store.Publish(ChatStreamingEvent.Delta(churnId, new string('z', ChurnCharacters)));
                store.Publish(ChatStreamingEvent.Finished(churnId));
            }
        }

        foreach (string id in ids)
        {
            if (!active.Contains(id))
            {
                store.Publish(ChatStreamingEvent.Started(id));
            }

            store.Publish(ChatStreamingEvent.Failed(id, EndOfRun));
        }
    }

    /// <summary>A well-behaved client: follows one conversation across responses, resuming by position whenever it is cut off.</summary>
    private sealed class Follower
    {
        private ChatStreamPosition _after;
        private ChatStreamingEvent _previous;

        public TextDigest Text { get; } = new();

        public string? Violation { get; private set; }

        public int Resumes { get; private set; }

        public int Retries { get; private set; }

        public int ResponsesSeen => Volatile.Read(ref _responsesSeen);

        private int _responsesSeen;

        public async Task FollowAsync(IChatStreamingStore store, string id, TaskCompletionSource registered)
        {
            while (true)
            {
                IAsyncEnumerable<ChatStreamingEvent> source = _after.Epoch is null ? store.SubscribeAsync(id) : store.SubscribeAsync(id, _after);
                IAsyncEnumerator<ChatStreamingEvent> events = source.GetAsyncEnumerator(TestGuard.Token);
                try
                {
                    ValueTask<bool> move = events.MoveNextAsync();
                    registered.TrySetResult();
                    while (await move.ConfigureAwait(false))
                    {
                        if (Check(events.Current))
                        {
                            return;
                        }

                        move = events.MoveNextAsync();
                    }
                }
                catch (ChatStreamingException ex) when (ex.Error == ChatStreamingError.SubscriberOverflow)
                {
                    Resumes++;
                }
                catch (ChatStreamingException ex) when (ex.Error == ChatStreamingError.TooManySubscribers)
                {
                    // The flood holds every waiting slot: a real client retries (the next response admits it, as it is not waiting).
                    Retries++;
                    await Task.Yield();
                }
                finally
                {
                    await events.DisposeAsync().ConfigureAwait(false);
                }
            }
        }

        // Returns true at the end of the run.
        private bool Check(ChatStreamingEvent e)
        {
            if (_previous.Epoch is not null && (e.Epoch != _previous.Epoch || e.Sequence <= _previous.Sequence))
            {
                Violation ??= $"{_previous.Position} then {e.Position}";
            }

            if (e.Kind == ChatStreamingEventKind.Delta)
            {
                Text.Add(e.Text!);
            }

            _previous = e;
            _after = e.Position;
            if (e.IsTerminal)
            {
                Interlocked.Increment(ref _responsesSeen);
            }

            return e.Kind == ChatStreamingEventKind.Failed && e.Error == EndOfRun;
        }
    }

    /// <summary>Opens waiting subscriptions on random ids, as many as it is let; keeps the admitted ones waiting.</summary>
    private sealed class WaitingFlood
    {
        private readonly List<(IAsyncEnumerator<ChatStreamingEvent> Enumerator, Task<bool> Move)> _admitted = [];

        public int Admitted => _admitted.Count;

        public int Refused { get; private set; }

        public void Run(IChatStreamingStore store, int count, Random random)
        {
            for (int i = 0; i < count; i++)
            {
                string id = "flood-" + random.NextInt64().ToString("x", CultureInfo.InvariantCulture);
                IAsyncEnumerator<ChatStreamingEvent> enumerator = store.SubscribeAsync(id).GetAsyncEnumerator(TestGuard.Token);
                Task<bool> move = enumerator.MoveNextAsync().AsTask();
                if (move.IsFaulted && move.Exception!.InnerException is ChatStreamingException { Error: ChatStreamingError.TooManySubscribers })
                {
                    Refused++;
                    continue;
                }

                _admitted.Add((enumerator, move));
            }
        }

        // After the store is disposed every admitted wait has ended.
        public async Task EndAsync()
        {
            foreach ((IAsyncEnumerator<ChatStreamingEvent> enumerator, Task<bool> move) in _admitted)
            {
                try
                {
                    await move.Guarded().ConfigureAwait(false);
                }
                catch (ObjectDisposedException)
                {
                }

                await enumerator.DisposeAsync().ConfigureAwait(false);
            }
        }
    }

    /// <summary>Samples the managed heap after a full collection, a few times a second, while the run lasts.</summary>
    private sealed class MemorySampler(long baseline)
    {
        public long Peak { get; private set; }

        public int Samples { get; private set; }

        public async Task RunAsync(CancellationToken cancellationToken)
        {
            // A pace for sampling, not a synchronisation: nothing waits for a sample.
            using var timer = new PeriodicTimer(TimeSpan.FromMilliseconds(250));
            try
            {
                while (await timer.WaitForNextTickAsync(cancellationToken).ConfigureAwait(false))
                {
                    Peak = Math.Max(Peak, GC.GetTotalMemory(forceFullCollection: true) - baseline);
                    Samples++;
                }
            }
            catch (OperationCanceledException)
            {
            }
        }
    }

    /// <summary>A running digest of text (FNV-1a over the characters), so the run's text is compared without being kept.</summary>
    private sealed class TextDigest
    {
        public ulong Hash { get; private set; } = 14695981039346656037UL;

        public long Characters { get; private set; }

        public long Events { get; set; }

        public void Add(string text)
        {
            ulong hash = Hash;
            foreach (char c in text)
            {
                hash = (hash ^ c) * 1099511628211UL;
            }

            Hash = hash;
            Characters += text.Length;
        }
    }
}

/// <summary>The figures of a hostile run (printed by the test, quoted in docs/reliability.md).</summary>
internal sealed class HostileReport
{
    public long EventsPublished { get; set; }

    public long PeakHeapGrowth { get; set; }

    public long Bound { get; set; }

    public int Samples { get; set; }

    public long RetainedBytesAtEnd { get; set; }

    public int WaitingAdmitted { get; set; }

    public int WaitingRefused { get; set; }

    public long TelemetryFailures { get; set; }

    public int StuckObserversCutOff { get; set; }

    public int FollowerResumes { get; set; }

    public int FollowerRetries { get; set; }

    public override string ToString()
    {
        var text = new StringBuilder();
        text.Append(CultureInfo.InvariantCulture, $"hostile: {EventsPublished:N0} events published; peak heap growth {PeakHeapGrowth / (1024.0 * 1024):F1} MiB over {Samples} samples (bound {Bound / (1024.0 * 1024):F0} MiB); ");
        text.Append(CultureInfo.InvariantCulture, $"retained at end {RetainedBytesAtEnd / (1024.0 * 1024):F1} MiB; waiting flood {WaitingAdmitted:N0} admitted, {WaitingRefused:N0} refused; ");
        text.Append(CultureInfo.InvariantCulture, $"{TelemetryFailures:N0} telemetry failures isolated; {StuckObserversCutOff} stuck observers cut off; followers resumed {FollowerResumes} times, retried {FollowerRetries} times; 0 lost, duplicated or reordered");
        return text.ToString();
    }
}
