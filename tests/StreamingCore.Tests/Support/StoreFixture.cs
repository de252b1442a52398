using Microsoft.Extensions.Time.Testing;

namespace StreamingCore.Tests.Support;

/// <summary>Builds stores on a <see cref="FakeTimeProvider"/> and reads subscriptions to the end.</summary>
internal static class StoreFixture
{
    public static (DefaultChatStreamingStore Store, FakeTimeProvider Time) Create(Action<ChatStreamingOptions>? configure = null)
    {
        var options = new ChatStreamingOptions();
        configure?.Invoke(options);
        var time = new FakeTimeProvider();
        return (new DefaultChatStreamingStore(options, time), time);
    }

    public static async Task<List<ChatStreamingEvent>> ToListAsync(this IAsyncEnumerable<ChatStreamingEvent> events)
    {
        var list = new List<ChatStreamingEvent>();
        await foreach (ChatStreamingEvent e in events.WithCancellation(TestGuard.Token))
        {
            list.Add(e);
        }

        return list;
    }

    public static string TextOf(IEnumerable<ChatStreamingEvent> events)
        => string.Concat(events.Where(e => e.Kind == ChatStreamingEventKind.Delta).Select(e => e.Text));

    /// <summary>Publishes Started, one delta per piece, and Finished; returns the stamped events.</summary>
    public static List<ChatStreamingEvent> PublishResponse(this IChatStreamingStore store, string conversationId, params string[] pieces)
    {
        var published = new List<ChatStreamingEvent> { store.Publish(ChatStreamingEvent.Started(conversationId)) };
        published.AddRange(pieces.Select(p => store.Publish(ChatStreamingEvent.Delta(conversationId, p))));
        published.Add(store.Publish(ChatStreamingEvent.Finished(conversationId)));
        return published;
    }

    public static long[] Sequences(IEnumerable<ChatStreamingEvent> events) => events.Select(e => e.Sequence).ToArray();
}
