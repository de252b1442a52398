using NUnit.Framework;
using StackExchange.Redis;
using StreamingCore.Redis.Tests.Infrastructure;
using StreamingCore.Redis.Tests.Support;
using StreamingCore.Testing.Contract;

namespace StreamingCore.Redis.Tests.Review;

/// <summary>Review: the journal (claim, outbox, lease renewal) after Redis refused a producer's response.</summary>
public sealed class JournalReviewTests
{
    private const string Id = "conv-1";

    /// <summary>
    /// A quiet response whose keys vanish is ended by the lease renewal (Pending 0). Its producer then starts the next
    /// response: nothing of the lost one waits to be written, so the start must not wait for it, nor fail.
    /// </summary>
    [Test]
    public async Task A_quiet_response_whose_keys_vanish_does_not_block_its_producers_next_start()
    {
        RedisServer server = await SharedRedis.ServerAsync().Guarded();
        await using Instances instances = await Instances.StartAsync(server.ConnectionString, 1, configureRedis: o => o.OperationTimeout = TimeSpan.FromSeconds(2)).Guarded();
        RedisChatStreamingStore a = instances[0];
        var ended = new TaskCompletionSource<ChatStreamingEvent>(TaskCreationOptions.RunContinuationsAsynchronously);
        using IDisposable watch = a.Events.Subscribe(e =>
        {
            if (e.IsTerminal)
            {
                ended.TrySetResult(e);
            }
        });
        ChatStreamingEvent started = a.Publish(ChatStreamingEvent.Started(Id));
        await a.FlushAsync().Guarded();

        // The keys vanish (eviction, FLUSHALL) while the response is quiet: the next renewal learns it.
        await using ConnectionMultiplexer redis = await server.ConnectAsync();
        string root = $"{instances.Prefix}{{{Id}}}:";
        Assert.That(await redis.GetDatabase().KeyDeleteAsync([root + "meta", root + "stream", root + "lease", root + "responses"]), Is.EqualTo(4));
        instances.Time.Advance(new RedisChatStreamingOptions().LeaseDuration / 3);
        ChatStreamingEvent end = await ended.Task.Guarded();
        Assert.That(end.Error, Is.EqualTo(RedisChatStreamingErrors.StreamLost));

        ChatStreamingEvent next = a.Publish(ChatStreamingEvent.Started(Id));

        Assert.That(next.Epoch, Is.Not.EqualTo(started.Epoch), "a new stream");
        Assert.That(next.Sequence, Is.EqualTo(1));
    }

    /// <summary>
    /// Another instance ends a response whose lease lapsed; the producer's instance follows the conversation, so its own
    /// response ends there through the mirror (Replicate), not through Publish. Its next start must go through at once.
    /// </summary>
    [Test]
    public async Task A_producer_whose_response_another_instance_ended_starts_its_next_response()
    {
        RedisServer server = await SharedRedis.ServerAsync().Guarded();
        await using Instances instances = await Instances.StartAsync(server.ConnectionString, 0).Guarded();

        // A renews rarely (no renewal during the test); B watches the lease after a minute of quiet.
        RedisChatStreamingStore a = await instances.AddAsync(configureRedis: o =>
        {
            o.LeaseDuration = TimeSpan.FromHours(1);
            o.OperationTimeout = TimeSpan.FromSeconds(2);
        }).Guarded();
        RedisChatStreamingStore b = await instances.AddAsync(o => o.IdleTimeout = TimeSpan.FromMinutes(1)).Guarded();
        ChatStreamingEvent started = a.Publish(ChatStreamingEvent.Started(Id));
        a.Publish(ChatStreamingEvent.Delta(Id, "written"));
        await a.FlushAsync().Guarded();
        Task<List<ChatStreamingEvent>> own = a.SubscribeAsync(Id, new ChatStreamPosition(started.Epoch!, 0)).ReadAllAsync();
        Task<List<ChatStreamingEvent>> remote = b.SubscribeAsync(Id, new ChatStreamPosition(started.Epoch!, 0)).ReadAllAsync();
        await a.WhenSubscribedAsync(Id).Guarded();
        await b.WhenSubscribedAsync(Id).Guarded();

        // A's lease lapses (deleted, as its expiry would); B's watch ends the response for everyone.
        await using ConnectionMultiplexer redis = await server.ConnectAsync();
        Assert.That(await redis.GetDatabase().KeyDeleteAsync($"{instances.Prefix}{{{Id}}}:lease"), Is.True);
        instances.Time.Advance(TimeSpan.FromMinutes(1));
        List<ChatStreamingEvent> ownEvents = await own.Guarded();
        Assert.That(ownEvents[^1].Error, Is.EqualTo(RedisChatStreamingErrors.ProducerLost));
        Assert.That((await remote.Guarded())[^1].Error, Is.EqualTo(RedisChatStreamingErrors.ProducerLost));

        ChatStreamingEvent next = a.Publish(ChatStreamingEvent.Started(Id));

        Assert.That(next.Position, Is.EqualTo(new ChatStreamPosition(started.Epoch!, ownEvents[^1].Sequence + 1)));
    }
    /// <summary>A response refused while nothing of it waited is not kept (and renewed) by the journal forever.</summary>
    [Test]
    public async Task A_quiet_response_refused_by_Redis_is_released_by_the_journal()
    {
        RedisServer server = await SharedRedis.ServerAsync().Guarded();
        await using Instances instances = await Instances.StartAsync(server.ConnectionString, 1).Guarded();
        RedisChatStreamingStore a = instances[0];
        var ended = new TaskCompletionSource<ChatStreamingEvent>(TaskCreationOptions.RunContinuationsAsynchronously);
        using IDisposable watch = a.Events.Subscribe(e =>
        {
            if (e.IsTerminal)
            {
                ended.TrySetResult(e);
            }
        });
        a.Publish(ChatStreamingEvent.Started(Id));
        await a.FlushAsync().Guarded();
        Assert.That(OwnedCount(a), Is.EqualTo(1));

        await using ConnectionMultiplexer redis = await server.ConnectAsync();
        string root = $"{instances.Prefix}{{{Id}}}:";
        await redis.GetDatabase().KeyDeleteAsync([root + "meta", root + "stream", root + "lease", root + "responses"]);
        instances.Time.Advance(new RedisChatStreamingOptions().LeaseDuration / 3);
        Assert.That((await ended.Task.Guarded()).Error, Is.EqualTo(RedisChatStreamingErrors.StreamLost));
        await a.FlushAsync().Guarded();

        Assert.That(OwnedCount(a), Is.Zero, "the journal still holds the lost response");
    }

    private static int OwnedCount(RedisChatStreamingStore store)
    {
        object journal = typeof(RedisChatStreamingStore).GetField("_journal", System.Reflection.BindingFlags.NonPublic | System.Reflection.BindingFlags.Instance)!.GetValue(store)!;
        var owned = (System.Collections.ICollection)journal.GetType().GetField("_owned", System.Reflection.BindingFlags.NonPublic | System.Reflection.BindingFlags.Instance)!.GetValue(journal)!;
        return owned.Count;
    }
}
