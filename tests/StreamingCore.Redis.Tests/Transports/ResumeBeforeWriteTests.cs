using NUnit.Framework;
using StackExchange.Redis;
using StreamingCore.Redis.Tests.Infrastructure;

namespace StreamingCore.Redis.Tests.Transports;

/// <summary>
/// A client may resume on another instance with a position that the producer's instance handed out before its writes
/// reached Redis (the producer stamps and delivers at once and writes later, batched). That instance must wait for the
/// writes (up to <c>OperationTimeout</c>) and answer exactly, never with 410. Redis's writes are held back with
/// <c>CLIENT PAUSE ... WRITE</c> (reads, subscriptions and the other instance go on), so the fixture has its own server.
/// </summary>
public class ResumeBeforeWriteTests : DedicatedRedisServerTests
{
    [Test]
    public async Task An_SSE_client_resumes_on_C_from_a_position_A_gave_before_writing_it_to_Redis()
    {
        string prefix = TestKeyPrefix.Next();
        await using var a = new RedisChatStreamingStore(await Server.ConnectAsync().Guarded(), redisOptions: new RedisChatStreamingOptions { KeyPrefix = prefix }, ownsMultiplexer: true);
        await using RedisWebApp c = await RedisWebApp.StartAsync(Server.ConnectionString, prefix).Guarded();
        await using ConnectionMultiplexer admin = await Server.ConnectAsync(o => o.AllowAdmin = true).Guarded();
        const string Conversation = "ahead-of-redis";

        // The claim reaches Redis (Started needs it); the events after it wait in A's outbox while writes are paused.
        ChatStreamingEvent started = a.Publish(ChatStreamingEvent.Started(Conversation));
        await admin.GetServer(Server.EndPoint).ExecuteAsync("CLIENT", "PAUSE", "300", "WRITE").Guarded();
        List<ChatStreamingEvent> published = [started, a.Publish(ChatStreamingEvent.Delta(Conversation, "given ")), a.Publish(ChatStreamingEvent.Delta(Conversation, "by A "))];
        published.Add(a.Publish(ChatStreamingEvent.Delta(Conversation, "only")));
        published.Add(a.Publish(ChatStreamingEvent.Finished(Conversation)));

        // The client got "given " from A; A's writes have not reached Redis yet.
        using var http = new HttpClient();
        using SseStream onC = await SseStream.OpenAsync(http, new Uri(c.Address, RedisWebApp.EventsPath(Conversation)), lastEventId: published[1].Position.ToString(), requireSuccess: true, endWhenServerLeaves: true);
        List<WireEvent> resumed = await onC.ReadThroughAsync("finished");

        Assert.That(resumed.Select(e => e.Id), Is.EqualTo(published[2..].Select(e => e.Position.ToString())));
        Assert.That(string.Concat(resumed.Select(e => e.Text)), Is.EqualTo("by A only"));
    }
}
