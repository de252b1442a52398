using System.Text.Json;
using System.Text.Json.Serialization;

namespace StreamingCore.Client.Wire;

/// <summary>
/// The <c>data:</c> of one SSE event of the chat streaming endpoint, as JSON:
/// <c>{"conversationId":"c1","sequence":2,"kind":"delta","text":"Hel","timestamp":"2026-01-01T00:00:00+00:00"}</c>,
/// with <c>usage</c> on a finished event when known and <c>error</c> on a failed one.
/// </summary>
internal sealed class WireEvent
{
    /// <summary>The kind, from the SSE <c>event:</c> field (the JSON's own <c>kind</c> says the same).</summary>
    [JsonIgnore]
    public ChatStreamingEventKind Kind { get; set; }

    [JsonRequired]
    public string ConversationId { get; set; } = string.Empty;

    [JsonRequired]
    public long Sequence { get; set; }

    public string? Text { get; set; }

    public TokenUsage? Usage { get; set; }

    public string? Error { get; set; }

    [JsonRequired]
    public DateTimeOffset Timestamp { get; set; }

    /// <summary>
    /// The <see cref="System.Net.ServerSentEvents.SseItemParser{T}"/> of the endpoint's events: a chat event's data, or
    /// <see langword="null"/> for an event type this client does not know (a newer server's), which the client skips.
    /// </summary>
    /// <exception cref="HttpRequestException">The data of a chat event is not its JSON (<see cref="HttpRequestError.InvalidResponse"/>).</exception>
    public static WireEvent? Parse(string eventType, ReadOnlySpan<byte> data)
    {
        ChatStreamingEventKind? kind = eventType switch
        {
            "started" => ChatStreamingEventKind.Started,
            "delta" => ChatStreamingEventKind.Delta,
            "finished" => ChatStreamingEventKind.Finished,
            "failed" => ChatStreamingEventKind.Failed,
            _ => null,
        };
        if (kind is null)
        {
            return null;
        }

        try
        {
            WireEvent wire = JsonSerializer.Deserialize(data, WireJsonContext.Default.WireEvent)
                ?? throw new JsonException("The data is JSON null.");
            wire.Kind = kind.Value;
            return wire;
        }
        catch (JsonException ex)
        {
            throw ProtocolErrors.Create($"The data of a '{eventType}' event is not the chat event JSON the client reads: {ex.Message}", ex);
        }
    }
}
