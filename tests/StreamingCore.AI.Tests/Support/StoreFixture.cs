using Microsoft.Extensions.AI;
using Microsoft.Extensions.Time.Testing;

namespace StreamingCore.AI.Tests.Support;

/// <summary>Stores on a <see cref="FakeTimeProvider"/>, their published responses read back, and updates to script.</summary>
internal static class StoreFixture
{
    public static DefaultChatStreamingStore CreateStore(Action<ChatStreamingOptions>? configure = null)
        => CreateStore(new FakeTimeProvider(), configure);

    public static DefaultChatStreamingStore CreateStore(FakeTimeProvider time, Action<ChatStreamingOptions>? configure = null)
    {
        var options = new ChatStreamingOptions();
        configure?.Invoke(options);
        return new DefaultChatStreamingStore(options, time);
    }

    /// <summary>The conversation's current response, from its Started to its terminal event (which must have been published).</summary>
    public static async Task<List<ChatStreamingEvent>> ReadResponseAsync(this IChatStreamingStore store, string conversationId)
    {
        var events = new List<ChatStreamingEvent>();
        await foreach (ChatStreamingEvent e in store.SubscribeAsync(conversationId, cancellationToken: TestGuard.Token))
        {
            events.Add(e);
        }

        return events;
    }

    public static ChatStreamingEventKind[] Kinds(this IEnumerable<ChatStreamingEvent> events) => events.Select(e => e.Kind).ToArray();

    public static string?[] Deltas(this IEnumerable<ChatStreamingEvent> events)
        => events.Where(e => e.Kind == ChatStreamingEventKind.Delta).Select(e => e.Text).ToArray();

    public static ChatStreamingEvent Terminal(this IEnumerable<ChatStreamingEvent> events) => events.Single(e => e.IsTerminal);

    public static ChatResponseUpdate Text(string text) => new(ChatRole.Assistant, text);

    public static ChatResponseUpdate Contents(params AIContent[] contents) => new(ChatRole.Assistant, contents.ToList());

    public static ChatResponseUpdate Usage(long input, long output)
        => Contents(new UsageContent(new UsageDetails { InputTokenCount = input, OutputTokenCount = output, TotalTokenCount = input + output }));

    public static ChatOptions Options(string conversationId) => new() { ConversationId = conversationId };

    public static List<ChatMessage> Prompt(string text = "Hi") => [new(ChatRole.User, text)];

    /// <summary>Enumerates to the end and returns the updates the caller received.</summary>
    public static async Task<List<ChatResponseUpdate>> ReadAllAsync(this IAsyncEnumerable<ChatResponseUpdate> updates, CancellationToken cancellationToken = default)
    {
        var received = new List<ChatResponseUpdate>();
        await foreach (ChatResponseUpdate update in updates.WithCancellation(cancellationToken))
        {
            received.Add(update);
        }

        return received;
    }
}
