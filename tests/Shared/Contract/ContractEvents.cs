namespace StreamingCore.Testing.Contract;

/// <summary>Reads subscriptions to their end and describes event lists, for the contract tests.</summary>
internal static class ContractEvents
{
    /// <summary>Reads a subscription to its end, bounded by the test guard so that a lost event fails instead of hanging.</summary>
    public static async Task<List<ChatStreamingEvent>> ReadAllAsync(this IAsyncEnumerable<ChatStreamingEvent> events)
    {
        var list = new List<ChatStreamingEvent>();
        await foreach (ChatStreamingEvent e in events.WithCancellation(TestGuard.Token))
        {
            list.Add(e);
        }

        return list;
    }

    /// <summary>Reads what is left of an enumerator to its end.</summary>
    public static async Task<List<ChatStreamingEvent>> ReadRestAsync(this IAsyncEnumerator<ChatStreamingEvent> enumerator)
    {
        var rest = new List<ChatStreamingEvent>();
        while (await enumerator.MoveNextAsync())
        {
            rest.Add(enumerator.Current);
        }

        return rest;
    }

    /// <summary>Publishes Started, one delta per piece, and Finished; returns the stamped events.</summary>
    public static List<ChatStreamingEvent> PublishResponse(this IChatStreamingStore store, string conversationId, params string[] pieces)
    {
        var published = new List<ChatStreamingEvent> { store.Publish(ChatStreamingEvent.Started(conversationId)) };
        published.AddRange(pieces.Select(p => store.Publish(ChatStreamingEvent.Delta(conversationId, p))));
        published.Add(store.Publish(ChatStreamingEvent.Finished(conversationId)));
        return published;
    }

    public static string TextOf(IEnumerable<ChatStreamingEvent> events)
        => string.Concat(events.Where(e => e.Kind == ChatStreamingEventKind.Delta).Select(e => e.Text));

    public static long[] Sequences(IEnumerable<ChatStreamingEvent> events) => events.Select(e => e.Sequence).ToArray();
}
