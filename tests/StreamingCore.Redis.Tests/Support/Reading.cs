namespace StreamingCore.Redis.Tests.Support;

/// <summary>Reads subscriptions and checks what they yield.</summary>
internal static class Reading
{
    public static async Task<List<ChatStreamingEvent>> ToListAsync(this IAsyncEnumerable<ChatStreamingEvent> events, CancellationToken cancellationToken = default)
    {
        using var guard = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, TestGuard.Token);
        var list = new List<ChatStreamingEvent>();
        await foreach (ChatStreamingEvent e in events.WithCancellation(guard.Token))
        {
            list.Add(e);
        }

        return list;
    }

    public static string TextOf(IEnumerable<ChatStreamingEvent> events)
        => string.Concat(events.Where(e => e.Kind == ChatStreamingEventKind.Delta).Select(e => e.Text));

    public static long[] Sequences(IEnumerable<ChatStreamingEvent> events) => events.Select(e => e.Sequence).ToArray();

    /// <summary>Publishes Started, one delta per piece, and Finished; returns the stamped events.</summary>
    public static List<ChatStreamingEvent> PublishResponse(this IChatStreamingStore store, string conversationId, params string[] pieces)
    {
        var published = new List<ChatStreamingEvent> { store.Publish(ChatStreamingEvent.Started(conversationId)) };
        published.AddRange(pieces.Select(p => store.Publish(ChatStreamingEvent.Delta(conversationId, p))));
        published.Add(store.Publish(ChatStreamingEvent.Finished(conversationId)));
        return published;
    }
}
