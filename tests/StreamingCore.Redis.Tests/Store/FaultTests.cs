using NUnit.Framework;
using StackExchange.Redis;
using StreamingCore.Redis.Tests.Infrastructure;
using StreamingCore.Redis.Tests.Support;
using StreamingCore.Testing.Contract;

namespace StreamingCore.Redis.Tests.Store;

/// <summary>
/// What each failure does, on a server of the fixture's own that the tests stop, restart and flush. It keeps its data in an
/// append-only file, as a production Redis that restarts does; losing the data is what FLUSHALL stands for.
/// </summary>
public sealed class FaultTests : DedicatedRedisServerTests
{
    private const string Id = "conv-1";

    protected override bool Persistent => true;

    private Task<Instances> StartAsync(int count, Action<ChatStreamingOptions>? configure = null, Action<RedisChatStreamingOptions>? configureRedis = null)
        => Instances.StartAsync(Server.ConnectionString, count, configure, configureRedis).Guarded();

    [Test]
    public async Task Redis_stopped_mid_response_then_restarted_loses_nothing_and_the_producers_instance_never_pauses()
    {
        await using Instances instances = await StartAsync(2);
        RedisChatStreamingStore a = instances[0];
        RedisChatStreamingStore b = instances[1];
        var published = new List<ChatStreamingEvent> { a.Publish(ChatStreamingEvent.Started(Id)) };
        Task<List<ChatStreamingEvent>> remote = b.SubscribeAsync(Id, new ChatStreamPosition(published[0].Epoch!, 0)).ReadAllAsync();
        var local = new LocalReader(a, Id, published[0].Epoch!);
        await b.WhenSubscribedAsync(Id).Guarded();
        await a.WhenSubscribedAsync(Id).Guarded();
        for (int i = 0; i < 50; i++)
        {
            published.Add(a.Publish(ChatStreamingEvent.Delta(Id, $"before {i} ")));
        }

        await a.FlushAsync().Guarded();
        await Server.StopAsync();
        for (int i = 0; i < 100; i++)
        {
            published.Add(a.Publish(ChatStreamingEvent.Delta(Id, $"during {i} ")));
        }

        // The producer's own subscriber has every event while Redis is still down.
        await local.WhenReceivedAsync(published[^1].Sequence).Guarded();
        Assert.That(a.OutboxLength, Is.GreaterThan(0), "the events wait for Redis");

        // The outage the issue names: two seconds.
        await Task.Delay(TimeSpan.FromSeconds(2));
        await Server.StartAsync();
        for (int i = 0; i < 50; i++)
        {
            published.Add(a.Publish(ChatStreamingEvent.Delta(Id, $"after {i} ")));
        }

        published.Add(a.Publish(ChatStreamingEvent.Finished(Id)));

        List<ChatStreamingEvent> received = await remote.Guarded();
        Assert.That(ContractEvents.Sequences(received), Is.EqualTo(ContractEvents.Sequences(published)));
        Assert.That(ContractEvents.TextOf(received), Is.EqualTo(ContractEvents.TextOf(published)));
        Assert.That(ContractEvents.Sequences(await local.Completion.Guarded()), Is.EqualTo(ContractEvents.Sequences(published)));
    }

    [Test]
    public async Task A_full_outbox_refuses_deltas_and_readers_get_an_exact_prefix_then_the_end()
    {
        await using Instances instances = await StartAsync(2, configureRedis: o => o.MaxOutboxLength = 10);
        RedisChatStreamingStore a = instances[0];
        ChatStreamingEvent started = a.Publish(ChatStreamingEvent.Started(Id));
        await a.FlushAsync().Guarded();
        Task<List<ChatStreamingEvent>> remote = instances[1].SubscribeAsync(Id, new ChatStreamPosition(started.Epoch!, 0)).ReadAllAsync();
        await instances[1].WhenSubscribedAsync(Id).Guarded();
        await Server.StopAsync();

        var accepted = new List<ChatStreamingEvent>();
        for (int i = 0; i < 10; i++)
        {
            accepted.Add(a.Publish(ChatStreamingEvent.Delta(Id, $"{i};")));
        }

        ChatStreamingException? refusal = Assert.Throws<ChatStreamingException>(() => a.Publish(ChatStreamingEvent.Delta(Id, "one too many")));
        Assert.That(refusal!.Error, Is.EqualTo(ChatStreamingError.StoreUnavailable));
        Assert.That(refusal.Message, Does.Contain("MaxOutboxLength"));
        ChatStreamingEvent failed = a.Publish(ChatStreamingEvent.Failed(Id, "gave up"));
        Assert.That(failed.Sequence, Is.EqualTo(accepted[^1].Sequence + 1), "the refused delta took no sequence");

        await Server.StartAsync();
        List<ChatStreamingEvent> received = await remote.Guarded();
        Assert.That(ContractEvents.TextOf(received), Is.EqualTo("0;1;2;3;4;5;6;7;8;9;"));
        Assert.That(received[^1].Error, Is.EqualTo("gave up"));
        Assert.That(ContractEvents.Sequences(received), Is.EqualTo(Enumerable.Range(1, 12).Select(i => (long)i)), "Started, ten deltas, Failed");
    }

    [Test]
    public async Task A_start_while_Redis_is_down_is_refused_with_StoreUnavailable_and_changes_nothing()
    {
        await using Instances instances = await StartAsync(1, configureRedis: o => o.OperationTimeout = TimeSpan.FromSeconds(1));
        Task reconnected = WhenReconnectedAsync(instances[0]);
        await Server.StopAsync();

        ChatStreamingException? refusal = Assert.Throws<ChatStreamingException>(() => instances[0].Publish(ChatStreamingEvent.Started(Id)));

        Assert.That(refusal!.Error, Is.EqualTo(ChatStreamingError.StoreUnavailable));
        Assert.That(instances[0].Local.ActiveResponseCount, Is.Zero);
        Assert.That(instances[0].Local.ConversationCount, Is.Zero);
        await Server.StartAsync();
        await reconnected.Guarded();
        Assert.That(instances[0].Publish(ChatStreamingEvent.Started(Id)).Sequence, Is.EqualTo(1));
    }

    [Test]
    public async Task Lost_keys_give_a_new_epoch_and_old_positions_are_never_replayed()
    {
        await using Instances instances = await StartAsync(2);
        List<ChatStreamingEvent> before = instances[0].PublishResponse(Id, "old", "stream");
        await instances[0].FlushAsync().Guarded();
        await Server.FlushAllAsync();

        List<ChatStreamingEvent> after = instances[1].PublishResponse(Id, "new", "stream", "is", "longer");

        Assert.That(after[0].Epoch, Is.Not.EqualTo(before[0].Epoch));
        Assert.That(after[0].Sequence, Is.EqualTo(1), "a new stream numbers from 1");
        foreach (RedisChatStreamingStore store in new[] { instances[0], instances[1] })
        {
            ChatStreamingException? refusal = await Assert.ThrowsAsync<ChatStreamingException>(async () => await store.SubscribeAsync(Id, before[1].Position).ReadAllAsync());
            Assert.That(refusal!.Error, Is.EqualTo(ChatStreamingError.SequenceNotRetained));
        }
    }

    [Test]
    public async Task Keys_lost_mid_response_end_it_for_the_producer_and_every_reader()
    {
        await using Instances instances = await StartAsync(2);
        RedisChatStreamingStore a = instances[0];
        ChatStreamingEvent started = a.Publish(ChatStreamingEvent.Started(Id));
        a.Publish(ChatStreamingEvent.Delta(Id, "kept"));
        Task<List<ChatStreamingEvent>> remote = instances[1].SubscribeAsync(Id, new ChatStreamPosition(started.Epoch!, 0)).ReadAllAsync();
        var local = new LocalReader(a, Id, started.Epoch!);
        await instances[1].WhenSubscribedAsync(Id).Guarded();
        await a.WhenSubscribedAsync(Id).Guarded();
        await a.FlushAsync().Guarded();

        await Server.FlushAllAsync();
        a.Publish(ChatStreamingEvent.Delta(Id, " written nowhere"));

        // The producer learns it at its next write: its response ends, and it may not go on.
        List<ChatStreamingEvent> own = await local.Completion.Guarded();
        Assert.That(own[^1].Error, Is.EqualTo(RedisChatStreamingErrors.StreamLost));
        ChatStreamingException? refusal = Assert.Throws<ChatStreamingException>(() => a.Publish(ChatStreamingEvent.Delta(Id, "more")));
        Assert.That(refusal!.Error, Is.EqualTo(ChatStreamingError.ResponseNotStarted));

        // Another instance learns it when its watch finds no keys, an idle timeout after the last event.
        instances.Time.Advance(new ChatStreamingOptions().IdleTimeout);
        List<ChatStreamingEvent> received = await remote.Guarded();
        Assert.That(received[^1].Kind, Is.EqualTo(ChatStreamingEventKind.Failed));
        Assert.That(received[^1].Error, Is.EqualTo(RedisChatStreamingErrors.StreamLost));
        Assert.That(ContractEvents.TextOf(received), Is.EqualTo("kept"));
    }

    [Test]
    public async Task A_producers_instance_that_shuts_down_ends_its_response_for_every_reader_at_once()
    {
        await using Instances instances = await StartAsync(2);
        RedisChatStreamingStore a = instances[0];
        ChatStreamingEvent started = a.Publish(ChatStreamingEvent.Started(Id));
        a.Publish(ChatStreamingEvent.Delta(Id, "half an answer"));
        Task<List<ChatStreamingEvent>> remote = instances[1].SubscribeAsync(Id, new ChatStreamPosition(started.Epoch!, 0)).ReadAllAsync();
        await instances[1].WhenSubscribedAsync(Id).Guarded();

        await a.DisposeAsync();

        List<ChatStreamingEvent> received = await remote.Guarded();
        Assert.That(ContractEvents.TextOf(received), Is.EqualTo("half an answer"));
        Assert.That(received[^1].Error, Is.EqualTo("store disposed"));
    }

    [Test]
    public async Task A_producer_that_dies_is_detected_by_its_lease_and_a_slow_live_one_never_is()
    {
        // The producer never times out by itself here, so only the other instance's lease watch can end its response.
        await using Instances instances = await StartAsync(0);
        RedisChatStreamingStore a = await instances.AddAsync(o => o.IdleTimeout = Timeout.InfiniteTimeSpan);
        RedisChatStreamingStore b = await instances.AddAsync(o => o.IdleTimeout = TimeSpan.FromMinutes(1));
        ChatStreamingEvent started = a.Publish(ChatStreamingEvent.Started(Id));
        a.Publish(ChatStreamingEvent.Delta(Id, "thinking"));
        Task<List<ChatStreamingEvent>> remote = b.SubscribeAsync(Id, new ChatStreamPosition(started.Epoch!, 0)).ReadAllAsync();
        await b.WhenSubscribedAsync(Id).Guarded();
        await a.FlushAsync().Guarded();

        // Slow but alive: its lease holds, so the watch leaves it alone.
        instances.Time.Advance(TimeSpan.FromMinutes(1));
        a.Publish(ChatStreamingEvent.Delta(Id, " slowly"));
        await a.FlushAsync().Guarded();

        // Dies: it writes nothing more and renews nothing; its lease lapses (deleted here, as its expiry would).
        a.SimulateCrash();
        await using ConnectionMultiplexer redis = await Server.ConnectAsync();
        Assert.That(await redis.GetDatabase().KeyDeleteAsync($"{instances.Prefix}{{{Id}}}:lease"), Is.True, "the lease existed");
        instances.Time.Advance(TimeSpan.FromMinutes(1));

        List<ChatStreamingEvent> received = await remote.Guarded();
        Assert.That(ContractEvents.TextOf(received), Is.EqualTo("thinking slowly"));
        Assert.That(received[^1].Error, Is.EqualTo(RedisChatStreamingErrors.ProducerLost));

        // The end is in Redis, for everyone: a new instance reads the same.
        RedisChatStreamingStore c = await instances.AddAsync();
        List<ChatStreamingEvent> replay = await c.SubscribeAsync(Id, new ChatStreamPosition(started.Epoch!, 0)).ReadAllAsync();
        Assert.That(replay, Is.EqualTo(received));
    }

    [Test]
    public async Task A_producer_whose_response_was_taken_over_numbers_its_next_response_after_what_only_it_published()
    {
        await using Instances instances = await StartAsync(2);
        RedisChatStreamingStore a = instances[0];
        RedisChatStreamingStore b = instances[1];

        // A's lease lapses (as when it cannot reach Redis); B's start ends A's response in Redis and takes the conversation. A,
        // unaware, goes on: its events reach its own subscribers only, then Redis refuses them and its response ends.
        (ChatStreamingEvent started, List<ChatStreamingEvent> taken, ChatStreamingEvent end) = await TakeOver.RunAsync(Server, instances, a, b, Id);
        Assert.That(taken[0].Sequence, Is.EqualTo(4), "after A's two events and the Failed that ended A's response");
        Assert.That(end.Error, Is.EqualTo(RedisChatStreamingErrors.ResponseTakenOver));
        Assert.That(end.Sequence, Is.EqualTo(8), "Started, one written delta, five unwritten, then the end");

        // A's next response is numbered after what its subscribers could have seen, so none of those positions names another event.
        ChatStreamingEvent next = a.Publish(ChatStreamingEvent.Started(Id));
        Assert.That(next.Epoch, Is.EqualTo(started.Epoch));
        Assert.That(next.Sequence, Is.EqualTo(9));
        ChatStreamingEvent finished = a.Publish(ChatStreamingEvent.Finished(Id));

        // A client of A that saw A's end resumes on B with the next response: Redis skipped the numbers only A used.
        List<ChatStreamingEvent> resumed = await b.SubscribeAsync(Id, end.Position).ReadAllAsync();
        Assert.That(ContractEvents.Sequences(resumed), Is.EqualTo(new[] { next.Sequence, finished.Sequence }));
    }

    /// <summary>Completes when the store's connection is back (its interactive connection, the one scripts use).</summary>
    private static Task WhenReconnectedAsync(RedisChatStreamingStore store)
    {
        var restored = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        store.Multiplexer.ConnectionRestored += (_, e) =>
        {
            if (e.ConnectionType == ConnectionType.Interactive)
            {
                restored.TrySetResult();
            }
        };
        return restored.Task;
    }

    /// <summary>Reads a subscription on the producer's own instance and says when it has reached a sequence.</summary>
    private sealed class LocalReader
    {
        private readonly List<ChatStreamingEvent> _events = [];
        private readonly List<(long Sequence, TaskCompletionSource Signal)> _waiters = [];

        public LocalReader(IChatStreamingStore store, string conversationId, string epoch)
            => Completion = ReadAsync(store.SubscribeAsync(conversationId, new ChatStreamPosition(epoch, 0)));

        public Task<List<ChatStreamingEvent>> Completion { get; }

        public Task WhenReceivedAsync(long sequence)
        {
            lock (_events)
            {
                if (_events.Count > 0 && _events[^1].Sequence >= sequence)
                {
                    return Task.CompletedTask;
                }

                var signal = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
                _waiters.Add((sequence, signal));
                return signal.Task;
            }
        }

        private async Task<List<ChatStreamingEvent>> ReadAsync(IAsyncEnumerable<ChatStreamingEvent> events)
        {
            await foreach (ChatStreamingEvent e in events.WithCancellation(TestGuard.Token))
            {
                lock (_events)
                {
                    _events.Add(e);
                    foreach ((long sequence, TaskCompletionSource signal) in _waiters.Where(w => w.Sequence <= e.Sequence).ToList())
                    {
                        signal.TrySetResult();
                        _waiters.Remove((sequence, signal));
                    }
                }
            }

            lock (_events)
            {
                return [.. _events];
            }
        }
    }
}
