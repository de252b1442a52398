using Microsoft.Extensions.Time.Testing;

namespace StreamingCore.Tests.Support;

/// <summary>
/// Builds stores on a <see cref="FakeTimeProvider"/> and reads subscriptions to the end. Publishing a whole response and
/// reading text and sequences are the contract suite's <c>ContractEvents</c>, compiled into this project too.
/// </summary>
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
}
