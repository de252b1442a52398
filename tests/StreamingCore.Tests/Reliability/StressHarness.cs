using System.Collections.Concurrent;
using NUnit.Framework;
using StreamingCore.Tests.Support;

namespace StreamingCore.Tests.Reliability;

/// <summary>
/// Rounds of P producers × C conversations × S subscribers on one store, each round with another overflow
/// strategy and a small queue so that it applies. Randomness (seeded) decides delta sizes and content, subscriber
/// slowness, disconnects, cancellations and throwing observers; what is asserted is exact whatever the schedule.
/// </summary>
internal sealed class StressHarness(int seed)
{
    private const int Producers = 4;
    private const int ConversationsPerRound = 24;
    private const int ResponsesPerConversation = 2;

    private static readonly OverflowStrategy[] Strategies =
        [OverflowStrategy.Coalesce, OverflowStrategy.DropOldest, OverflowStrategy.DropNewest, OverflowStrategy.Reject];

    private static readonly string[] Pieces =
        ["", "a", "Hello ", "world", " ", "🙂", "👩‍👩‍👧", "漢字", "かな", "e\u0301", "n\u0303o", "Ωμέγα", "\t", "мир"];

    private readonly Random _random = new(seed);

    public StressReport Report { get; } = new();

    public async Task RunAsync(TimeSpan duration)
    {
        // The budget only bounds the run; nothing is asserted about time.
        var elapsed = System.Diagnostics.Stopwatch.StartNew();
        int round = 0;
        do
        {
            OverflowStrategy strategy = Strategies[round % Strategies.Length];
            await RunRoundAsync(round, strategy, _random.Next()).ConfigureAwait(false);
            Report.Rounds++;
            Report.RoundsPerStrategy[strategy] = Report.RoundsPerStrategy.GetValueOrDefault(strategy) + 1;
            round++;
        }
        while (elapsed.Elapsed < duration || round < Strategies.Length);
    }

    private async Task RunRoundAsync(int round, OverflowStrategy strategy, int roundSeed)
    {
        var random = new Random(roundSeed);
        using var store = new DefaultChatStreamingStore(new ChatStreamingOptions
        {
            SubscriberOverflow = strategy,
            SubscriberCapacity = random.Next(2, 33),
            MaxResponseLength = 10_000_000,
            IdleTimeout = Timeout.InfiniteTimeSpan,
        });
        string context = $"seed {seed}, round {round} (seed {roundSeed}), {strategy}";

        string[] ids = Enumerable.Range(0, ConversationsPerRound).Select(i => $"r{round}-c{i}").ToArray();
        var published = new ConcurrentDictionary<string, ConcurrentDictionary<long, ChatStreamingEvent>>();
        foreach (string id in ids)
        {
            published[id] = new ConcurrentDictionary<long, ChatStreamingEvent>();
        }

        // Observers of Events: a checking one, and some that throw after a random number of events.
        var observer = new OrderCheckingObserver(ids.Length * ResponsesPerConversation);
        using IDisposable checkedEvents = store.Events.Subscribe(observer);
        var throwers = Enumerable.Range(0, random.Next(0, 4)).Select(_ => store.Events.Subscribe(new ThrowingObserver(random.Next(0, 200)))).ToList();
        Report.ThrowingObservers += throwers.Count;

        // Subscribers register before the producers start, so that afterSequence 0 means the first response.
        var subscribers = new List<(string Id, SubscriberResult Result, Task Task)>();
        var registered = new List<Task>();
        foreach (string id in ids)
        {
            int count = random.Next(1, 4);
            for (int s = 0; s < count; s++)
            {
                var result = new SubscriberResult();
                var ready = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
                int subscriberSeed = random.Next();
                subscribers.Add((id, result, Task.Run(() => SubscribeAsync(store, id, result, new Random(subscriberSeed), ready))));
                registered.Add(ready.Task);
            }
        }

        await Task.WhenAll(registered).Guarded().ConfigureAwait(false);

        Task[] producers = Enumerable.Range(0, Producers).Select(p =>
        {
            string[] mine = ids.Where((_, i) => i % Producers == p).ToArray();
            int producerSeed = random.Next();
            return Task.Run(() => Produce(store, mine, published, new Random(producerSeed)));
        }).ToArray();

        await Task.WhenAll(producers).Guarded().ConfigureAwait(false);
        await Task.WhenAll(subscribers.Select(s => s.Task)).Guarded().ConfigureAwait(false);
        await observer.Done.Task.Guarded().ConfigureAwait(false);
        foreach (IDisposable thrower in throwers)
        {
            thrower.Dispose();
        }

        bool lossless = strategy is OverflowStrategy.Coalesce or OverflowStrategy.Reject;
        foreach ((string id, SubscriberResult result, _) in subscribers)
        {
            Verify(id, result, published[id], lossless, context);
        }

        foreach (string id in ids)
        {
            VerifyStatistics(store, id, published[id], context);
        }

        Assert.That(observer.Violation, Is.Null, context);
        Report.ObserverEventsChecked += observer.Checked;
        Report.Conversations += ids.Length;
        Report.Responses += ids.Length * ResponsesPerConversation;
        Report.Subscribers += subscribers.Count;
        Report.EventsPublished += published.Values.Sum(p => p.Count);
        Report.CharactersPublished += published.Values.Sum(p => p.Values.Sum(e => (long)(e.Text?.Length ?? 0)));
        foreach ((_, SubscriberResult result, _) in subscribers)
        {
            Report.EventsReceived += result.Events.Count;
            Report.Disconnects += result.Disconnects;
            Report.Cancellations += result.Cancellations;
            Report.OverflowResumes += result.OverflowResumes;
        }
    }

    private static void Produce(IChatStreamingStore store, string[] ids, ConcurrentDictionary<string, ConcurrentDictionary<long, ChatStreamingEvent>> published, Random random)
    {
        // Interleave the producer's conversations, event by event, like a server streaming several replies.
        var plans = ids.Select(id => new Queue<ChatStreamingEvent>(Plan(id, random))).ToList();
        while (plans.Count > 0)
        {
            int pick = random.Next(plans.Count);
            ChatStreamingEvent next = plans[pick].Dequeue();
            ChatStreamingEvent stamped = store.Publish(next);
            published[next.ConversationId][stamped.Sequence] = stamped;
            if (plans[pick].Count == 0)
            {
                plans.RemoveAt(pick);
            }
        }
    }

    private static IEnumerable<ChatStreamingEvent> Plan(string id, Random random)
    {
        for (int r = 0; r < ResponsesPerConversation; r++)
        {
            yield return ChatStreamingEvent.Started(id);
            int deltas = random.Next(0, 120);
            for (int d = 0; d < deltas; d++)
            {
                yield return ChatStreamingEvent.Delta(id, StressText.Piece(random, Pieces));
            }

            yield return random.Next(4) == 0 ? ChatStreamingEvent.Failed(id, "model error") : ChatStreamingEvent.Finished(id, new TokenUsage(random.Next(100), deltas));
        }
    }

    private static async Task SubscribeAsync(IChatStreamingStore store, string id, SubscriberResult result, Random random, TaskCompletionSource ready)
    {
        long last = 0;
        int responsesEnded = 0;
        bool first = true;
        while (responsesEnded < ResponsesPerConversation)
        {
            using var cts = new CancellationTokenSource();
            int cancelAfter = random.Next(10) == 0 ? random.Next(0, 60) : -1;
            int disconnectAfter = random.Next(6) == 0 ? random.Next(1, 80) : -1;
            int received = 0;
            IAsyncEnumerator<ChatStreamingEvent> enumerator = store.SubscribeAsync(id, last, cts.Token).GetAsyncEnumerator(cts.Token);
            try
            {
                // The first MoveNextAsync registers the subscription before it waits.
                ValueTask<bool> move = enumerator.MoveNextAsync();
                if (first)
                {
                    ready.SetResult();
                    first = false;
                }

                while (await move.ConfigureAwait(false))
                {
                    ChatStreamingEvent e = enumerator.Current;
                    result.Events.Add(e);
                    last = e.Sequence;
                    received++;
                    if (e.IsTerminal && ++responsesEnded == ResponsesPerConversation)
                    {
                        break;
                    }

                    if (random.Next(8) == 0)
                    {
                        // A slow consumer: give the producers the processor for a while.
                        for (int i = random.Next(1, 20); i > 0; i--)
                        {
                            await Task.Yield();
                        }
                    }

                    if (received == cancelAfter)
                    {
                        await cts.CancelAsync().ConfigureAwait(false);
                    }

                    if (received == disconnectAfter)
                    {
                        result.Disconnects++;
                        break;
                    }

                    move = enumerator.MoveNextAsync();
                }
            }
            catch (OperationCanceledException) when (cts.IsCancellationRequested)
            {
                result.Cancellations++;
            }
            catch (ChatStreamingException ex) when (ex.Error == ChatStreamingError.SubscriberOverflow)
            {
                result.OverflowResumes++;
            }
            finally
            {
                await enumerator.DisposeAsync().ConfigureAwait(false);
            }
        }
    }

    private static void Verify(string id, SubscriberResult result, ConcurrentDictionary<long, ChatStreamingEvent> published, bool lossless, string context)
    {
        List<ChatStreamingEvent> events = result.Events;
        string where = $"{context}, {id}";
        long[] sequences = events.Select(e => e.Sequence).ToArray();
        Assert.That(sequences, Is.Ordered.Ascending.And.Unique, $"{where}: sequences strictly increase");
        Assert.That(events.All(e => e.ConversationId == id), Is.True, where);

        // Start and end of every response arrive under every strategy, exactly as published.
        ChatStreamingEvent[] expectedMarkers = published.Values.Where(e => e.Kind != ChatStreamingEventKind.Delta).OrderBy(e => e.Sequence).ToArray();
        Assert.That(events.Where(e => e.Kind != ChatStreamingEventKind.Delta), Is.EqualTo(expectedMarkers), $"{where}: Started/Finished/Failed");

        if (lossless)
        {
            string sent = string.Concat(published.Values.OrderBy(e => e.Sequence).Select(e => e.Text));
            Assert.That(ContractEvents.TextOf(events), Is.EqualTo(sent), $"{where}: reassembled text");
            return;
        }

        // Lossy strategies drop whole deltas, never change one.
        foreach (ChatStreamingEvent delta in events.Where(e => e.Kind == ChatStreamingEventKind.Delta))
        {
            Assert.That(delta, Is.EqualTo(published[delta.Sequence]), $"{where}: delta {delta.Sequence}");
        }
    }

    private static void VerifyStatistics(DefaultChatStreamingStore store, string id, ConcurrentDictionary<long, ChatStreamingEvent> published, string context)
    {
        ChatStreamingEvent[] ordered = published.Values.OrderBy(e => e.Sequence).ToArray();
        IReadOnlyList<ChatResponseStatistics> statistics = store.GetResponseStatistics(id);
        Assert.That(statistics, Has.Count.EqualTo(ResponsesPerConversation), $"{context}, {id}");
        int start = 0;
        foreach (ChatResponseStatistics response in statistics)
        {
            int endIndex = Array.FindIndex(ordered, start, e => e.IsTerminal);
            ChatStreamingEvent[] events = ordered[start..(endIndex + 1)];
            Assert.That(
                (response.StartSequence, response.DeltaCount, response.CharacterCount, response.Outcome),
                Is.EqualTo((events[0].Sequence, events.Count(e => e.Kind == ChatStreamingEventKind.Delta), events.Sum(e => e.Text?.Length ?? 0),
                    events[^1].Kind == ChatStreamingEventKind.Finished ? ChatResponseOutcome.Finished : ChatResponseOutcome.Failed)),
                $"{context}, {id}: statistics");
            start = endIndex + 1;
        }
    }

    private sealed class SubscriberResult
    {
        public List<ChatStreamingEvent> Events { get; } = [];

        public int Disconnects { get; set; }

        public int Cancellations { get; set; }

        public int OverflowResumes { get; set; }
    }

    /// <summary>Checks that Events delivers each conversation's events in increasing sequence, once each.</summary>
    private sealed class OrderCheckingObserver(int terminalsExpected) : IObserver<ChatStreamingEvent>
    {
        private readonly Dictionary<string, long> _last = [];
        private int _terminals;

        public TaskCompletionSource Done { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public string? Violation { get; private set; }

        public long Checked { get; private set; }

        public void OnNext(ChatStreamingEvent value)
        {
            long last = _last.GetValueOrDefault(value.ConversationId);
            if (value.Sequence <= last)
            {
                Violation ??= $"Events: {value.ConversationId} went from {last} to {value.Sequence}";
            }

            _last[value.ConversationId] = value.Sequence;
            Checked++;
            if (value.IsTerminal && ++_terminals == terminalsExpected)
            {
                Done.TrySetResult();
            }
        }

        // Under Reject a slow observer is cut off; what it saw up to then was still checked.
        public void OnError(Exception error) => Done.TrySetResult();

        public void OnCompleted() => Done.TrySetResult();
    }
}
