using System.Collections.Concurrent;
using System.Diagnostics;
using System.Text;
using System.Threading.Channels;
using NUnit.Framework;
using StackExchange.Redis;
using StreamingCore.Redis.Tests.Infrastructure;

namespace StreamingCore.Redis.Tests.Reliability;

/// <summary>
/// Rounds of two <see cref="RedisChatStreamingStore"/> instances (A and B, each with its own connection, as two app
/// instances) on one real redis-server. Several producers on each instance publish random responses; each conversation's
/// responses alternate between the instances (response r of conversation c is produced on instance (c + r) mod 2), so
/// every conversation is handed over between instances several times. Consumers follow a conversation from its first
/// response to its last, starting on a random instance; they disconnect (cancel) at random, mid-response or while waiting
/// for the next response, and resume by <see cref="ChatStreamPosition"/> on the other instance. Randomness (seeded)
/// decides the plans, delta sizes and content, the interleaving of each producer's responses, queue sizes, consumer
/// slowness and disconnects; what is checked is exact whatever the schedule: every consumer received every published event
/// of its conversation once, in order, unchanged (a Coalesce merge counts as the deltas it holds).
/// </summary>
internal sealed class RedisStressHarness(RedisServer server, int seed)
{
    private const int ConversationsPerRound = 16;
    private const int ResponsesPerConversation = 4;
    private const int ProducersPerInstance = 3;

    /// <summary>How long a round's consumers may take after its producers finished before the round is failed (a lost event makes one wait for ever).</summary>
    private static readonly TimeSpan ConsumerGrace = TimeSpan.FromSeconds(30);

    private static readonly string[] Pieces =
        ["", "a", "Hello ", "world", " ", "\n", "|", "\r\n", "1\n2\n", "-0", "🙂", "👩‍👩‍👧", "漢字", "e\u0301", "Ωμέγα", "\t", "мир", "{c}"];

    private readonly Dictionary<string, int> _background = new(StringComparer.Ordinal);

    // The current round's instances, for a failure message.
    private RedisChatStreamingStore[] _stores = [];
    private Microsoft.Extensions.Logging.Testing.FakeLoggerProvider? _logs;

    public RedisStressReport Report { get; } = new();

    /// <summary>The current round's warnings and errors, for a failure message.</summary>
    public string Logs => _logs is null ? "" : string.Join(" | ", _logs.Collector.GetSnapshot().Where(r => r.Level >= Microsoft.Extensions.Logging.LogLevel.Warning && (r.Category ?? "").Contains("Redis", StringComparison.Ordinal)).Take(20).Select(r => r.Message));

    public async Task RunAsync(TimeSpan duration)
    {
        var random = new Random(seed);
        await using ConnectionMultiplexer redisA = await server.ConnectAsync();
        await using ConnectionMultiplexer redisB = await server.ConnectAsync();

        // Exceptions thrown inside the store's background paths (PUB/SUB handlers, fire-and-forget syncs) are swallowed by
        // whoever runs them; the first-chance hook is the only place they can be seen, and a failure message names them.
        AppDomain.CurrentDomain.FirstChanceException += OnFirstChanceException;

        // The budget only bounds the run; nothing is asserted about time.
        var elapsed = Stopwatch.StartNew();
        int round = 0;
        try
        {
            do
            {
                await RunRoundAsync(redisA, redisB, round, random.Next());
                Report.Rounds++;
                round++;
            }
            while (elapsed.Elapsed < duration);
        }
        finally
        {
            Report.Elapsed = elapsed.Elapsed;
            AppDomain.CurrentDomain.FirstChanceException -= OnFirstChanceException;
        }
    }

    /// <summary>Distinct exceptions (type, message, where) thrown inside the Redis store's mirrors and journal during the run.</summary>
    public string BackgroundExceptions
    {
        get
        {
            lock (_background)
            {
                // The most frequent few: a failure message stays readable (ResponseAlreadyStarted retries are many and expected).
                return string.Join(" | ", _background.OrderByDescending(p => p.Value).Take(6).Select(p => $"{p.Value}x {p.Key}"))
                    + (_background.Count > 6 ? $" | and {_background.Count - 6} more kinds" : "");
            }
        }
    }

    private void OnFirstChanceException(object? sender, System.Runtime.ExceptionServices.FirstChanceExceptionEventArgs e)
    {
        if (e.Exception is OperationCanceledException)
        {
            return;
        }

        string trace = Environment.StackTrace;
        int inside = trace.IndexOf("StreamingCore.Redis.Internal.", StringComparison.Ordinal);
        if (inside < 0)
        {
            return;
        }

        int end = trace.IndexOf('\n', inside);
        string where = trace[inside..(end < 0 ? trace.Length : end)].Trim();
        string message = e.Exception.Message.Length > 160 ? e.Exception.Message[..160] : e.Exception.Message;
        string key = $"{e.Exception.GetType().Name}: {message} at {where}";
        lock (_background)
        {
            _background[key] = _background.GetValueOrDefault(key) + 1;
        }
    }

    private async Task RunRoundAsync(ConnectionMultiplexer redisA, ConnectionMultiplexer redisB, int round, int roundSeed)
    {
        var random = new Random(roundSeed);
        int capacity = random.Next(4, 65);
        string context = $"seed {seed}, round {round} (seed {roundSeed}), subscriber capacity {capacity}";

        // A prefix per round: the rounds share the server, and a round's keys must not meet an earlier round's.
        var redisOptions = new RedisChatStreamingOptions { KeyPrefix = TestKeyPrefix.Next() };
        using var logs = new Microsoft.Extensions.Logging.Testing.FakeLoggerProvider();
        using var loggerFactory = new Microsoft.Extensions.Logging.LoggerFactory([logs]);
        await using var a = new RedisChatStreamingStore(redisA, StoreOptions(capacity), redisOptions, loggerFactory: loggerFactory);
        await using var b = new RedisChatStreamingStore(redisB, StoreOptions(capacity), redisOptions, loggerFactory: loggerFactory);
        _logs = logs;
        RedisChatStreamingStore[] stores = [a, b];
        _stores = stores;

        string[] ids = [.. Enumerable.Range(0, ConversationsPerRound).Select(i => $"r{round}-c{i}")];
        var plans = new ResponsePlan[ids.Length][];
        for (int c = 0; c < ids.Length; c++)
        {
            plans[c] = [.. Enumerable.Range(0, ResponsesPerConversation).Select(r => Plan(ids[c], c, r, random))];
        }

        var published = new ConcurrentDictionary<long, ChatStreamingEvent>[ids.Length];
        for (int c = 0; c < ids.Length; c++)
        {
            published[c] = new ConcurrentDictionary<long, ChatStreamingEvent>();
        }

        // Consumers subscribe (afterSequence 0: the next response to start) before any producer starts.
        using var abort = new CancellationTokenSource();
        var consumers = new List<Consumer>();
        for (int c = 0; c < ids.Length; c++)
        {
            for (int k = random.Next(1, 4); k > 0; k--)
            {
                var consumer = new Consumer(c, ids[c], random.Next(2), new Random(random.Next()));
                consumer.Task = Task.Run(() => ConsumeAsync(stores, consumer, abort.Token));
                consumers.Add(consumer);
            }
        }

        // A Redis subscription registers after an asynchronous first read from Redis, so its first MoveNextAsync is no
        // signal; the local stores' count of waiting subscriptions is.
        await WaitUntilAsync(() => a.Local.WaitingSubscriberCount + b.Local.WaitingSubscriberCount == consumers.Count, "consumers registered", context);

        var inboxes = new Channel<ResponsePlan>[2, ProducersPerInstance];
        for (int instance = 0; instance < 2; instance++)
        {
            for (int p = 0; p < ProducersPerInstance; p++)
            {
                inboxes[instance, p] = Channel.CreateUnbounded<ResponsePlan>();
            }
        }

        var state = new RoundState(inboxes, plans, published, ids.Length * ResponsesPerConversation);
        for (int c = 0; c < ids.Length; c++)
        {
            state.Hand(plans[c][0]);
        }

        var producers = new List<Task>();
        for (int instance = 0; instance < 2; instance++)
        {
            for (int p = 0; p < ProducersPerInstance; p++)
            {
                RedisChatStreamingStore store = stores[instance];
                Channel<ResponsePlan> inbox = inboxes[instance, p];
                var producerRandom = new Random(random.Next());
                string name = $"{(instance == 0 ? "A" : "B")}#{p}";
                producers.Add(Task.Run(async () =>
                {
                    try
                    {
                        await ProduceAsync(store, inbox, producerRandom, state);
                    }
                    catch (Exception ex)
                    {
                        // The other producers would wait for this one's responses for ever: stop them, and say why.
                        state.Stop();
                        throw new InvalidOperationException($"{context}: producer {name} failed: {ex.Message}", ex);
                    }
                }));
            }
        }

        try
        {
            await Task.WhenAll(producers).WaitAsync(ConsumerGrace);
        }
        catch (TimeoutException)
        {
            Assert.Fail($"{context}: exceptions inside the store: {BackgroundExceptions}; the producers did not finish within {ConsumerGrace.TotalSeconds:F0} s; outboxes A {a.OutboxLength} B {b.OutboxLength}; "
                + $"followed A {a.FollowedConversationCount} B {b.FollowedConversationCount}; {state.Describe(stores)}");
        }
        try
        {
            await Task.WhenAll(consumers.Select(c => c.Task)).WaitAsync(ConsumerGrace);
        }
        catch (TimeoutException)
        {
            // Some consumer waits for an event that does not come: stop them all, note where they were, and let the
            // accounting say what they missed.
            foreach (Consumer consumer in consumers.Where(c => !c.Task.IsCompleted))
            {
                consumer.Stuck = $"still waiting {ConsumerGrace.TotalSeconds:F0} s after the producers finished, in {consumer.Waiting}";
            }

            await abort.CancelAsync();
            await Task.WhenAll(consumers.Select(c => c.Task)).Guarded();
        }

        // Everything published reached Redis, and no follower is left behind once nobody follows.
        await WaitUntilAsync(() => a.OutboxLength == 0 && b.OutboxLength == 0, "outboxes drained", context);
        await WaitUntilAsync(() => a.FollowedConversationCount == 0 && b.FollowedConversationCount == 0, "mirrors released", context);

        Verify(ids, published, plans, consumers, state, context);
    }

    private static ChatStreamingOptions StoreOptions(int capacity) => new()
    {
        // Small queues, so that Coalesce merges deltas for slow consumers and the accounting has merges to check.
        SubscriberCapacity = capacity,
        MaxResponseLength = 10_000_000,
    };

    private static ResponsePlan Plan(string id, int conversation, int index, Random random)
    {
        var events = new Queue<ChatStreamingEvent>();
        int deltas = random.Next(0, 80);
        for (int d = 0; d < deltas; d++)
        {
            events.Enqueue(ChatStreamingEvent.Delta(id, StressText.Piece(random, Pieces)));
        }

        events.Enqueue(random.Next(4) == 0 ? ChatStreamingEvent.Failed(id, "model error") : ChatStreamingEvent.Finished(id, new TokenUsage(random.Next(100), deltas)));
        return new ResponsePlan(conversation, index, (conversation + index) % 2, events);
    }

    /// <summary>
    /// One producer: interleaves its responses event by event, like a server streaming several replies. A response waits
    /// to start until the conversation's previous one (on the other instance) has ended there and reached Redis: until
    /// then its Started is refused with ResponseAlreadyStarted, which a producer retries.
    /// </summary>
    private static async Task ProduceAsync(RedisChatStreamingStore store, Channel<ResponsePlan> inbox, Random random, RoundState state)
    {
        var active = new List<ResponsePlan>();
        while (true)
        {
            while (inbox.Reader.TryRead(out ResponsePlan? handed))
            {
                active.Add(handed);
            }

            if (active.Count == 0)
            {
                if (!await inbox.Reader.WaitToReadAsync())
                {
                    return;
                }

                continue;
            }

            ResponsePlan plan = active[random.Next(active.Count)];
            if (!plan.Started)
            {
                try
                {
                    state.Record(plan, store.Publish(ChatStreamingEvent.Started(plan.ConversationId)));
                    plan.Started = true;
                }
                catch (ChatStreamingException ex) when (ex.Error == ChatStreamingError.StoreUnavailable)
                {
                    // What the error tells a producer to do: retry later. Counted, since on a healthy server it means a stall.
                    Interlocked.Increment(ref state.StartsUnavailable);
                    await Task.Delay(1);
                }
                catch (ChatStreamingException ex) when (ex.Error == ChatStreamingError.ResponseAlreadyStarted)
                {
                    Interlocked.Increment(ref state.StartRetries);
                    if (active.TrueForAll(p => !p.Started))
                    {
                        // Nothing else to publish meanwhile: let the other instance's outbox and this one's mirror move on.
                        await Task.Delay(1);
                    }
                }

                continue;
            }

            ChatStreamingEvent next = plan.Events.Dequeue();
            state.Record(plan, store.Publish(next));
            if (next.IsTerminal)
            {
                active.Remove(plan);
                state.Ended(plan);
            }

            // A producer awaits its model between tokens. Never yielding would also starve the thread pool that
            // StackExchange.Redis reads its replies on, while a Started waits synchronously for one of them.
            await Task.Yield();
        }
    }

    private static async Task ConsumeAsync(RedisChatStreamingStore[] stores, Consumer consumer, CancellationToken abort)
    {
        Random random = consumer.Random;
        int instance = consumer.FirstInstance;
        ChatStreamPosition? last = null;
        bool atResponseEnd = false;
        int ended = 0;
        while (ended < ResponsesPerConversation && !abort.IsCancellationRequested)
        {
            using var cts = CancellationTokenSource.CreateLinkedTokenSource(abort);
            int disconnectAfter = random.Next(3) == 0 ? random.Next(1, 60) : -1;
            bool drainAfterCancel = random.Next(2) == 0;

            // Between two responses a client may drop while it waits: it resumes from the end of the last one.
            bool cancelWhileWaiting = atResponseEnd && random.Next(4) == 0;
            if (cancelWhileWaiting)
            {
                cts.CancelAfter(random.Next(0, 20));
            }

            consumer.Waiting = $"subscription {consumer.Subscriptions + 1} on {(instance == 0 ? "A" : "B")} after {last?.ToString() ?? "nothing (afterSequence 0)"}";
            IAsyncEnumerable<ChatStreamingEvent> events = last is { } position
                ? stores[instance].SubscribeAsync(consumer.ConversationId, position, cts.Token)
                : stores[instance].SubscribeAsync(consumer.ConversationId, 0, cts.Token);
            consumer.Subscriptions++;
            int received = 0;
            int before = consumer.Events.Count;
            string how = "ended";
            bool moveToOther = false;
            try
            {
                await foreach (ChatStreamingEvent e in events)
                {
                    consumer.Events.Add(e);
                    last = e.Position;
                    atResponseEnd = e.IsTerminal;
                    received++;
                    if (e.IsTerminal)
                    {
                        ended++;
                    }

                    if (received == disconnectAfter && !e.IsTerminal && !cts.IsCancellationRequested)
                    {
                        // A dropped connection: either the client stops reading at once, or it reads what was already on
                        // its way until the cancellation surfaces. Either way it resumes on the other instance.
                        await cts.CancelAsync();
                        consumer.Disconnects++;
                        how = "disconnected";
                        moveToOther = true;
                        if (!drainAfterCancel)
                        {
                            break;
                        }
                    }

                    if (random.Next(8) == 0)
                    {
                        // A slow consumer: its queue fills and Coalesce merges deltas.
                        for (int i = random.Next(1, 20); i > 0; i--)
                        {
                            await Task.Yield();
                        }
                    }
                }
            }
            catch (OperationCanceledException) when (cts.IsCancellationRequested)
            {
                if (!moveToOther && !abort.IsCancellationRequested)
                {
                    consumer.WaitingCancels++;
                }

                moveToOther = true;
                how = received == 0 ? "cancelled while waiting" : how == "ended" ? "cancelled" : how;
            }
            catch (ChatStreamingException ex) when (ex.Error == ChatStreamingError.SequenceNotRetained && received == 0 && last is not null && ++consumer.RefusedResumes <= 250)
            {
                // A position the other instance handed out moments ago, refused here: the instance has not received it yet
                // (a defect, reported; see docs/reliability.md). Counted and asserted zero; the resume is tried again a
                // little later so that the rest of the run is still checked.
                consumer.LastRefusal = ex.Message;
                consumer.Note(instance, last, before, "refused (SequenceNotRetained)");
                await Task.Delay(20, CancellationToken.None);
                continue;
            }
            catch (ChatStreamingException ex) when (ex.Error == ChatStreamingError.SubscriberOverflow)
            {
                // A consumer too slow for its small queue is cut off, as designed (the deltas it fell behind on were too long
                // to merge); like any client it resumes after the last event it received, on the other instance.
                consumer.Overflows++;
                how = "cut off (SubscriberOverflow)";
                moveToOther = true;
            }
            catch (Exception ex) when (ex is not OperationCanceledException)
            {
                consumer.Failure = $"subscription {consumer.Subscriptions} on instance {(instance == 0 ? "A" : "B")} after {last?.ToString() ?? "nothing"}: {ex.GetType().Name}: {ex.Message}";
                return;
            }

            consumer.Note(instance, last, before, how);
            instance = moveToOther ? 1 - instance : random.Next(2);
        }
    }

    private void Verify(string[] ids, ConcurrentDictionary<long, ChatStreamingEvent>[] published, ResponsePlan[][] plans, List<Consumer> consumers, RoundState state, string context)
    {
        var ordered = new ChatStreamingEvent[ids.Length][];
        for (int c = 0; c < ids.Length; c++)
        {
            ordered[c] = [.. published[c].Values.OrderBy(e => e.Sequence)];
            int expected = plans[c].Sum(p => p.EventCount);
            Assert.That(ordered[c].Select(e => e.Sequence), Is.EqualTo(Enumerable.Range(1, expected).Select(i => (long)i)), $"{context}, {ids[c]}: the producers' stamped sequences run 1..{expected} across both instances");
        }

        var total = new EventAccounting[consumers.Count];
        for (int i = 0; i < consumers.Count; i++)
        {
            Consumer consumer = consumers[i];
            total[i] = EventAccounting.Check(ordered[consumer.Conversation], consumer.Events);
        }

        Report.Conversations += ids.Length;
        Report.Responses += ids.Length * ResponsesPerConversation;
        Report.ResponsesOnA += plans.Sum(p => p.Count(r => r.Instance == 0));
        Report.ResponsesOnB += plans.Sum(p => p.Count(r => r.Instance == 1));
        Report.EventsPublished += ordered.Sum(o => o.Length);
        Report.CharactersPublished += ordered.Sum(o => o.Sum(e => (long)(e.Text?.Length ?? 0)));
        Report.StartRetries += state.StartRetries;
        Report.StartsUnavailable += state.StartsUnavailable;
        Report.Consumers += consumers.Count;
        Report.Subscriptions += consumers.Sum(c => c.Subscriptions);
        Report.EventsReceived += consumers.Sum(c => (long)c.Events.Count);
        Report.EventsCovered += total.Sum(t => t.Covered);
        Report.CoalescedDeltas += total.Sum(t => t.Coalesced);
        Report.DisconnectResumes += consumers.Sum(c => c.Disconnects);
        Report.WaitingCancelResumes += consumers.Sum(c => c.WaitingCancels);
        Report.RefusedResumes += consumers.Sum(c => c.RefusedResumes);
        Report.LastRefusal ??= consumers.Select(c => c.LastRefusal).FirstOrDefault(r => r is not null);
        Report.Lost += total.Sum(t => t.Lost);
        Report.Duplicated += total.Sum(t => t.Duplicated);
        Report.Reordered += total.Sum(t => t.Reordered);
        Report.Altered += total.Sum(t => t.Altered);

        for (int i = 0; i < consumers.Count; i++)
        {
            Consumer consumer = consumers[i];
            string where = $"{context}, {consumer.ConversationId}, consumer {i} (first on {(consumer.FirstInstance == 0 ? "A" : "B")}, {consumer.Subscriptions} subscriptions)";
            EventAccounting accounting = total[i];
            where += consumer.Stuck is null ? "" : $", {consumer.Stuck}";
            Assert.That(
                (accounting.Lost, accounting.Duplicated, accounting.Reordered, accounting.Altered),
                Is.EqualTo((0L, 0L, 0L, 0L)),
                $"{where}: lost, duplicated, reordered, altered; first: {accounting.FirstProblem}; its subscriptions: {string.Join(" / ", consumer.Log)}; failure: {consumer.Failure ?? "none"}; A knows: {_stores[0].Describe(consumer.ConversationId)}; B knows: {_stores[1].Describe(consumer.ConversationId)}; Redis warnings: {Logs}; exceptions inside the store: {BackgroundExceptions}");
            Assert.That(consumer.Failure, Is.Null, where);
            Assert.That(TextPerResponse(consumer.Events), Is.EqualTo(TextPerResponse(ordered[consumer.Conversation])), $"{where}: reassembled text per response");
        }
    }

    private static List<string> TextPerResponse(IEnumerable<ChatStreamingEvent> events)
    {
        var texts = new List<string>();
        StringBuilder? current = null;
        foreach (ChatStreamingEvent e in events)
        {
            switch (e.Kind)
            {
                case ChatStreamingEventKind.Started:
                    current = new StringBuilder();
                    break;
                case ChatStreamingEventKind.Delta:
                    current?.Append(e.Text);
                    break;
                default:
                    texts.Add(current?.ToString() ?? "<no Started>");
                    current = null;
                    break;
            }
        }

        return texts;
    }

    /// <summary>Waits, checking every few milliseconds, for a condition that only the stores' counters show; fails the round after the backstop.</summary>
    private static async Task WaitUntilAsync(Func<bool> condition, string what, string context)
    {
        var waited = Stopwatch.StartNew();
        while (!condition())
        {
            if (waited.Elapsed > TimeSpan.FromSeconds(30))
            {
                Assert.Fail($"{context}: not {what} after {waited.Elapsed.TotalSeconds:F0} s");
            }

            await Task.Delay(5);
        }
    }

    /// <summary>One response to publish: where, and its events after Started.</summary>
    private sealed class ResponsePlan(int conversation, int index, int instance, Queue<ChatStreamingEvent> events)
    {
        public int Conversation { get; } = conversation;

        public int Index { get; } = index;

        /// <summary>0 for A, 1 for B.</summary>
        public int Instance { get; } = instance;

        public string ConversationId { get; } = events.Peek().ConversationId;

        public Queue<ChatStreamingEvent> Events { get; } = events;

        /// <summary>Started, the deltas and the terminal event.</summary>
        public int EventCount { get; } = events.Count + 1;

        public bool Started { get; set; }
    }

    /// <summary>A round's hand-over between producers and its record of what was published.</summary>
    private sealed class RoundState(Channel<ResponsePlan>[,] inboxes, ResponsePlan[][] plans, ConcurrentDictionary<long, ChatStreamingEvent>[] published, int responses)
    {
        private int _remaining = responses;

        public long StartRetries;

        public long StartsUnavailable;

        /// <summary>Where each unfinished conversation stands, for a failure message.</summary>
        public string Describe(RedisChatStreamingStore[] stores)
        {
            var builder = new StringBuilder();
            foreach (ResponsePlan[] conversation in plans)
            {
                ResponsePlan? current = conversation.FirstOrDefault(p => p.Events.Count > 0);
                if (current is null)
                {
                    continue;
                }

                builder.Append(System.Globalization.CultureInfo.InvariantCulture, $"{current.ConversationId}: response {current.Index} on {(current.Instance == 0 ? "A" : "B")} ")
                    .Append(current.Started ? $"started, {current.Events.Count} events to go" : "not started")
                    .Append("; A holds ").Append(Statistics(stores[0], current.ConversationId))
                    .Append(", B holds ").Append(Statistics(stores[1], current.ConversationId)).Append(" | ");
            }

            return builder.ToString();
        }

        private static string Statistics(RedisChatStreamingStore store, string conversationId)
            => string.Join(",", store.GetResponseStatistics(conversationId).Select(s => $"{s.StartSequence}:{s.Outcome}"));

        /// <summary>Gives a response to the producer that publishes it: producer (c mod P) of its instance.</summary>
        public void Hand(ResponsePlan plan) => inboxes[plan.Instance, plan.Conversation % ProducersPerInstance].Writer.TryWrite(plan);

        public void Record(ResponsePlan plan, ChatStreamingEvent stamped)
        {
            if (!published[plan.Conversation].TryAdd(stamped.Sequence, stamped))
            {
                Assert.Fail($"{plan.ConversationId}: sequence {stamped.Sequence} was stamped twice (response {plan.Index} on instance {plan.Instance})");
            }
        }

        /// <summary>A response ended: the conversation's next one goes to the other instance; the last one ends the producers.</summary>
        public void Ended(ResponsePlan plan)
        {
            if (plan.Index + 1 < plans[plan.Conversation].Length)
            {
                Hand(plans[plan.Conversation][plan.Index + 1]);
            }

            if (Interlocked.Decrement(ref _remaining) == 0)
            {
                Stop();
            }
        }

        /// <summary>Ends every producer once its current responses are done.</summary>
        public void Stop()
        {
            foreach (Channel<ResponsePlan> inbox in inboxes)
            {
                inbox.Writer.TryComplete();
            }
        }
    }

    /// <summary>One consumer of one conversation and what it received across its subscriptions.</summary>
    private sealed class Consumer(int conversation, string conversationId, int firstInstance, Random random)
    {
        public int Conversation { get; } = conversation;

        public string ConversationId { get; } = conversationId;

        public int FirstInstance { get; } = firstInstance;

        public Random Random { get; } = random;

        public Task Task { get; set; } = Task.CompletedTask;

        public List<ChatStreamingEvent> Events { get; } = [];

        public int Subscriptions { get; set; }

        public int Disconnects { get; set; }

        public int WaitingCancels { get; set; }

        /// <summary>How many of its subscriptions were cut off for falling a full queue behind (it resumed each time).</summary>
        public int Overflows { get; set; }

        public string? Failure { get; set; }

        /// <summary>Resumes refused with SequenceNotRetained although the position was valid (and tried again).</summary>
        public int RefusedResumes { get; set; }

        public string? LastRefusal { get; set; }

        /// <summary>Per subscription: where, from which position, what arrived, how it ended; for a failure message.</summary>
        public List<string> Log { get; } = [];

        /// <summary>Records a subscription that started at event index <paramref name="before"/>.</summary>
        public void Note(int instance, ChatStreamPosition? last, int before, string how)
        {
            string arrived = Events.Count > before ? $"{Events[before].Sequence}..{Events[^1].Sequence} ({Events.Count - before} events)" : "nothing";
            Log.Add($"on {(instance == 0 ? "A" : "B")}: {arrived}, {how}");
        }

        /// <summary>Set when the round gave up waiting for it.</summary>
        public string? Stuck { get; set; }

        /// <summary>The subscription it is in, for a failure message.</summary>
        public string Waiting { get; set; } = "";
    }
}
