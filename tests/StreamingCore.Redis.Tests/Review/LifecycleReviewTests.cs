using System.Diagnostics;
using NUnit.Framework;
using StackExchange.Redis;
using StreamingCore.Redis.Tests.Infrastructure;
using StreamingCore.Redis.Tests.Support;
using StreamingCore.Testing.Contract;

namespace StreamingCore.Redis.Tests.Review;

/// <summary>Review: disposal and subscriptions while the server is away (a server of the fixture's own).</summary>
public sealed class LifecycleReviewTests : DedicatedRedisServerTests
{
    private const string Id = "conv-1";

    /// <summary>
    /// Redis is down and many batches wait: disposing gives them ShutdownTimeout, then stops. It must not try every
    /// remaining batch, each waiting for the connection's timeout.
    /// </summary>
    [Test]
    public async Task Dispose_while_Redis_is_down_stops_after_its_ShutdownTimeout_not_one_timeout_per_batch()
    {
        await using Instances instances = await Instances.StartAsync(Server.ConnectionString, 0).Guarded();
        ConfigurationOptions configuration = ConfigurationOptions.Parse(Server.ConnectionString);
        configuration.AsyncTimeout = 1_000;
        configuration.SyncTimeout = 1_000;
        ConnectionMultiplexer multiplexer = await ConnectionMultiplexer.ConnectAsync(configuration).Guarded();
        var store = new RedisChatStreamingStore(
            multiplexer,
            redisOptions: new RedisChatStreamingOptions { KeyPrefix = instances.Prefix, MaxBatchSize = 1, ShutdownTimeout = TimeSpan.FromSeconds(1) },
            timeProvider: instances.Time,
            ownsMultiplexer: true);
        store.Publish(ChatStreamingEvent.Started(Id));
        await store.FlushAsync().Guarded();
        await Server.StopAsync();
        for (int i = 0; i < 20; i++)
        {
            store.Publish(ChatStreamingEvent.Delta(Id, $"{i};"));
        }

        var elapsed = Stopwatch.StartNew();
        await store.DisposeAsync().AsTask().Guarded();
        elapsed.Stop();

        // ShutdownTimeout (1 s), then at most the one write in flight (AsyncTimeout, 1 s); not 21 of them.
        Assert.That(elapsed.Elapsed, Is.LessThan(TimeSpan.FromSeconds(6)));
    }
    /// <summary>
    /// A reader starts on B while Redis is down (the channel's SUBSCRIBE fails); Redis comes back and A answers. The reader
    /// must receive the answer: its conversation's live channel is subscribed again, not left unsubscribed for good.
    /// </summary>
    [Test]
    public async Task A_reader_that_started_while_Redis_was_down_receives_the_answer_once_Redis_is_back()
    {
        await using Instances instances = await Instances.StartAsync(Server.ConnectionString, 1).Guarded();
        ConfigurationOptions configuration = ConfigurationOptions.Parse(Server.ConnectionString);
        configuration.AsyncTimeout = 1_000;
        configuration.SyncTimeout = 1_000;
        ConnectionMultiplexer multiplexer = await ConnectionMultiplexer.ConnectAsync(configuration).Guarded();
        await using var b = new RedisChatStreamingStore(
            multiplexer,
            redisOptions: new RedisChatStreamingOptions { KeyPrefix = instances.Prefix },
            timeProvider: instances.Time,
            ownsMultiplexer: true);
        var restored = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        multiplexer.ConnectionRestored += (_, e) =>
        {
            if (e.ConnectionType == ConnectionType.Subscription)
            {
                restored.TrySetResult();
            }
        };
        await Server.StopAsync();

        Task<List<ChatStreamingEvent>> reader = b.SubscribeAsync(Id).ReadAllAsync();
        await b.WhenSubscribedAsync(Id).Guarded();
        await Server.StartAsync();
        await restored.Task.Guarded();
        List<ChatStreamingEvent> published = instances[0].PublishResponse(Id, "Hello");

        // A bound, not a wait: the answer is in Redis; a reader that has it not after ten seconds never will.
        Task finished = await Task.WhenAny(reader, Task.Delay(TimeSpan.FromSeconds(10)));
        Assert.That(finished, Is.SameAs(reader), "the reader never received the answer");
        Assert.That(await reader, Is.EqualTo(published));
    }

    /// <summary>
    /// A reader on B gives up while its mirror's first read is still on its way (the server is paused); the mirror stops.
    /// The read that then arrives must not apply the active response to B's local store: no mirror would watch it, so it
    /// would stay active there for good (a mirror made later finds its Started already applied and never arms its watch).
    /// </summary>
    [Test]
    public async Task A_mirror_stopped_during_its_first_read_applies_nothing_afterwards()
    {
        await using Instances instances = await Instances.StartAsync(Server.ConnectionString, 2).Guarded();
        RedisChatStreamingStore a = instances[0];
        RedisChatStreamingStore b = instances[1];
        ChatStreamingEvent started = a.Publish(ChatStreamingEvent.Started(Id));
        a.Publish(ChatStreamingEvent.Delta(Id, "x"));
        await a.FlushAsync().Guarded();
        Task<ChatStreamingEvent> appliedLocally = FirstAsync(b.Local.SubscribeAsync(Id));

        // Every command waits for a second: the mirror's SUBSCRIBE and reads are queued behind the pause.
        await using ConnectionMultiplexer admin = await Server.ConnectAsync(o => o.AllowAdmin = true);
        await admin.GetDatabase().ExecuteAsync("CLIENT", "PAUSE", "1000", "ALL");
        using var cancel = new CancellationTokenSource();
        Task<List<ChatStreamingEvent>> reader = b.SubscribeAsync(Id, new ChatStreamPosition(started.Epoch!, 0), cancel.Token).ReadAllAsync();
        await cancel.CancelAsync();
        await Assert.CatchAsync<OperationCanceledException>(async () => await reader.Guarded());
        Assert.That(b.FollowedConversationCount, Is.Zero, "the mirror stopped");

        // A bound, not a wait for a signal: the pause ends after a second and the stale read lands right after.
        Task finished = await Task.WhenAny(appliedLocally, Task.Delay(TimeSpan.FromSeconds(5)));
        Assert.That(finished, Is.Not.SameAs(appliedLocally), "a stopped mirror applied the response to the local store");
        Assert.That(b.Local.GetStatistics(Id), Is.Null);
    }

    private static async Task<ChatStreamingEvent> FirstAsync(IAsyncEnumerable<ChatStreamingEvent> events)
    {
        await foreach (ChatStreamingEvent e in events.WithCancellation(TestGuard.Token))
        {
            return e;
        }

        throw new InvalidOperationException("The subscription ended without an event.");
    }
}
