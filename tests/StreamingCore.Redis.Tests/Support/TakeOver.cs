using StackExchange.Redis;
using StreamingCore.Redis.Tests.Infrastructure;
using StreamingCore.Testing.Contract;

namespace StreamingCore.Redis.Tests.Support;

/// <summary>
/// A producer whose response another instance takes over: A starts a response and writes one delta to Redis; its lease is
/// deleted, as when A cannot reach Redis for longer than the lease; B publishes a whole response, which ends A's in Redis;
/// A, unaware, publishes five more deltas, which reach its own subscribers only, until Redis refuses them and A's response
/// ends. A follows only its own events (Events), not the conversation in Redis.
/// </summary>
internal static class TakeOver
{
    /// <returns>A's Started, B's response as published, and the end of A's response as A's Events saw it.</returns>
    public static async Task<(ChatStreamingEvent Started, List<ChatStreamingEvent> Taken, ChatStreamingEvent End)> RunAsync(
        RedisServer server, Instances instances, RedisChatStreamingStore a, RedisChatStreamingStore b, string id)
    {
        var ended = new TaskCompletionSource<ChatStreamingEvent>(TaskCreationOptions.RunContinuationsAsynchronously);
        using IDisposable watch = a.Events.Subscribe(e =>
        {
            if (e.IsTerminal)
            {
                ended.TrySetResult(e);
            }
        });
        ChatStreamingEvent started = a.Publish(ChatStreamingEvent.Started(id));
        a.Publish(ChatStreamingEvent.Delta(id, "written"));
        await a.FlushAsync().Guarded();

        await using (ConnectionMultiplexer redis = await server.ConnectAsync())
        {
            await redis.GetDatabase().KeyDeleteAsync(LeaseKey(instances, id));
        }

        List<ChatStreamingEvent> taken = b.PublishResponse(id, "B's answer");
        await b.FlushAsync().Guarded();
        for (int i = 0; i < 5; i++)
        {
            a.Publish(ChatStreamingEvent.Delta(id, $" unwritten {i}"));
        }

        return (started, taken, await ended.Task.Guarded());
    }

    /// <summary>The conversation's lease key, whose deletion is a lapsed lease.</summary>
    public static string LeaseKey(Instances instances, string id) => $"{instances.Prefix}{{{id}}}:lease";
}
