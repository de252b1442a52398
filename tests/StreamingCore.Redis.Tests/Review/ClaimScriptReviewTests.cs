using NUnit.Framework;
using StackExchange.Redis;
using StreamingCore.Redis.Internal;
using StreamingCore.Redis.Tests.Infrastructure;
using StreamingCore.Redis.Tests.Support;
using StreamingCore.Testing.Contract;

namespace StreamingCore.Redis.Tests.Review;

/// <summary>Review: the Claim script's floor and the end it writes for a lapsed response.</summary>
public sealed class ClaimScriptReviewTests
{
    private const string Id = "conv-1";

    /// <summary>
    /// A's response is taken over; A's subscribers stamped 3..8 alone (the floor: Redis already holds 3..6, so 7 and 8 must stay unused). A claims its next
    /// response after them (9) and dies before writing anything. When B ends that lapsed response and starts its own, no
    /// position of the floor may name one of Redis's events: a client of A holding (epoch, 7) resumes on B after it.
    /// </summary>
    [Test]
    public async Task The_end_of_a_lapsed_response_claimed_after_a_floor_never_reuses_the_floors_positions()
    {
        RedisServer server = await SharedRedis.ServerAsync().Guarded();
        await using Instances instances = await Instances.StartAsync(server.ConnectionString, 2).Guarded();
        RedisChatStreamingStore a = instances[0];
        RedisChatStreamingStore b = instances[1];
        (ChatStreamingEvent started, List<ChatStreamingEvent> taken, ChatStreamingEvent end) = await TakeOver.RunAsync(server, instances, a, b, Id);
        await using ConnectionMultiplexer redis = await server.ConnectAsync();
        IDatabase db = redis.GetDatabase();
        string lease = TakeOver.LeaseKey(instances, Id);
        Assert.That(end.Sequence, Is.EqualTo(8), "A's floor: Started, one written delta, five unwritten, the end");

        // A claims its next response after its floor, then dies before its Started reaches Redis.
        Journal(a).Crash();
        ChatStreamingEvent next = a.Publish(ChatStreamingEvent.Started(Id));
        Assert.That(next.Sequence, Is.EqualTo(9));
        await db.KeyDeleteAsync(lease);

        // B's start ends A's lapsed response and starts its own.
        ChatStreamingEvent bStarted = b.Publish(ChatStreamingEvent.Started(Id));

        StreamEntry[] reused = await db.StreamRangeAsync($"{instances.Prefix}{{{Id}}}:stream", $"{taken[^1].Sequence + 1}-0", $"{end.Sequence}-0");
        Assert.That(reused.Select(e => e.Id.ToString()), Is.Empty, "Redis numbered events at positions only A's subscribers had seen");
        Assert.That(bStarted.Sequence, Is.GreaterThan(next.Sequence));
        Assert.That(bStarted.Epoch, Is.EqualTo(started.Epoch));
    }

    private static RedisJournal Journal(RedisChatStreamingStore store)
        => (RedisJournal)typeof(RedisChatStreamingStore).GetField("_journal", System.Reflection.BindingFlags.NonPublic | System.Reflection.BindingFlags.Instance)!.GetValue(store)!;
}
