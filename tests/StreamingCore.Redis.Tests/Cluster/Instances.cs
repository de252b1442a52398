using StackExchange.Redis;

namespace StreamingCore.Redis.Tests.Cluster;

/// <summary>What the cluster tests share: app instances (a store on its own multiplexer) and reading one response.</summary>
internal static class Instances
{
    /// <summary>A new instance: a store on a multiplexer of its own, which it disposes.</summary>
    public static async Task<RedisChatStreamingStore> StartAsync(Func<Task<ConnectionMultiplexer>> connect, string keyPrefix)
    {
        ConnectionMultiplexer multiplexer = await connect().Guarded();
        return new RedisChatStreamingStore(multiplexer, redisOptions: new RedisChatStreamingOptions { KeyPrefix = keyPrefix }, ownsMultiplexer: true);
    }

    /// <summary>Every event of a subscription until it ends (after the response's terminal event).</summary>
    public static async Task<List<ChatStreamingEvent>> ReadAllAsync(IAsyncEnumerable<ChatStreamingEvent> subscription)
    {
        List<ChatStreamingEvent> events = [];
        await foreach (ChatStreamingEvent e in subscription.WithCancellation(TestGuard.Token))
        {
            events.Add(e);
        }

        return events;
    }

    /// <summary>Reads a subscription's first event, then the rest after <paramref name="afterFirst"/> ran: a live reader.</summary>
    public static async Task<List<ChatStreamingEvent>> ReadLiveAsync(IAsyncEnumerable<ChatStreamingEvent> subscription, Action afterFirst)
    {
        List<ChatStreamingEvent> events = [];
        await using IAsyncEnumerator<ChatStreamingEvent> reader = subscription.GetAsyncEnumerator(TestGuard.Token);
        if (!await reader.MoveNextAsync().Guarded())
        {
            return events;
        }

        events.Add(reader.Current);
        afterFirst();
        while (await reader.MoveNextAsync().Guarded())
        {
            events.Add(reader.Current);
        }

        return events;
    }

    /// <summary>Publishes a whole response (Started, the deltas, Finished) and returns the stamped events.</summary>
    public static List<ChatStreamingEvent> PublishResponse(IChatStreamingStore store, string conversationId, params string[] deltas)
    {
        List<ChatStreamingEvent> published = [store.Publish(ChatStreamingEvent.Started(conversationId))];
        published.AddRange(deltas.Select(d => store.Publish(ChatStreamingEvent.Delta(conversationId, d))));
        published.Add(store.Publish(ChatStreamingEvent.Finished(conversationId, new TokenUsage(3, deltas.Length))));
        return published;
    }

    /// <summary>Publishes the rest of an active response (the deltas, Finished) and returns the stamped events.</summary>
    public static List<ChatStreamingEvent> PublishRest(IChatStreamingStore store, string conversationId, params string[] deltas)
    {
        List<ChatStreamingEvent> published = [.. deltas.Select(d => store.Publish(ChatStreamingEvent.Delta(conversationId, d)))];
        published.Add(store.Publish(ChatStreamingEvent.Finished(conversationId, new TokenUsage(3, deltas.Length))));
        return published;
    }

    /// <summary>Every key under <paramref name="pattern"/> on one node (SCAN on that node only).</summary>
    public static async Task<List<string>> ScanAsync(IServer node, string pattern)
    {
        List<string> keys = [];
        await foreach (RedisKey key in node.KeysAsync(pattern: pattern, pageSize: 100).WithCancellation(TestGuard.Token))
        {
            keys.Add(key!);
        }

        keys.Sort(StringComparer.Ordinal);
        return keys;
    }
}
