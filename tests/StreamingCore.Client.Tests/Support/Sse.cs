using System.Globalization;
using System.Text.Json;

namespace StreamingCore.Client.Tests.Support;

/// <summary>Writes events as the contract's SSE endpoint does, and builds the events a client should yield.</summary>
internal static class Sse
{
    public const string Epoch = "e1";

    public static readonly DateTimeOffset Time = new(2026, 1, 1, 12, 0, 0, TimeSpan.Zero);

    /// <summary>A published event of conversation <c>c1</c> in epoch <see cref="Epoch"/>, at <see cref="Time"/> plus its sequence in milliseconds.</summary>
    public static ChatStreamingEvent Event(long sequence, ChatStreamingEventKind kind = ChatStreamingEventKind.Delta, string? text = null, TokenUsage? usage = null, string? error = null, string conversationId = "c1")
        => ChatStreamingEvent.FromPublished(
            kind,
            conversationId,
            new ChatStreamPosition(Epoch, sequence),
            Time.AddMilliseconds(sequence),
            kind == ChatStreamingEventKind.Delta ? text ?? $"<{sequence}>" : null,
            usage,
            kind == ChatStreamingEventKind.Failed ? error ?? "boom" : null);

    /// <summary>Deltas 1..count's events: Started at 1, then deltas.</summary>
    public static ChatStreamingEvent[] Response(int count)
        => Enumerable.Range(1, count).Select(s => s == 1 ? Event(1, ChatStreamingEventKind.Started) : Event(s)).ToArray();

    /// <summary>The SSE frame of an event, as MapChatStreamingEvents writes it.</summary>
    public static string Frame(ChatStreamingEvent e)
    {
        var data = new Dictionary<string, object?>
        {
            ["conversationId"] = e.ConversationId,
            ["sequence"] = e.Sequence,
            ["kind"] = Kind(e.Kind),
        };
        if (e.Text is not null)
        {
            data["text"] = e.Text;
        }

        if (e.Usage is not null)
        {
            data["usage"] = new { inputTokens = e.Usage.InputTokens, outputTokens = e.Usage.OutputTokens, totalTokens = e.Usage.TotalTokens };
        }

        if (e.Error is not null)
        {
            data["error"] = e.Error;
        }

        data["timestamp"] = e.Timestamp;
        return $"id: {e.Position}\nevent: {Kind(e.Kind)}\ndata: {JsonSerializer.Serialize(data)}\n\n";
    }

    public static string Frames(IEnumerable<ChatStreamingEvent> events) => string.Concat(events.Select(Frame));

    public static string Retry(TimeSpan delay) => string.Create(CultureInfo.InvariantCulture, $"retry: {(long)delay.TotalMilliseconds}\n\n");

    public static string Kind(ChatStreamingEventKind kind) => kind.ToString().ToLowerInvariant();
}
