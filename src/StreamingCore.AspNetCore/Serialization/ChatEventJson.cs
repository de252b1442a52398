using System.Text.Json;

namespace StreamingCore.AspNetCore;

/// <summary>
/// The JSON of both transports, written with <see cref="Utf8JsonWriter"/> (camelCase names, timestamps in round-trip form).
/// JSON escapes every control character in a string, so no text a producer sends (CR, LF, NUL, "data:") can reach the
/// SSE or WebSocket framing raw.
/// </summary>
internal static class ChatEventJson
{
    private static readonly JsonEncodedText TypeName = JsonEncodedText.Encode("type");
    private static readonly JsonEncodedText IdName = JsonEncodedText.Encode("id");
    private static readonly JsonEncodedText ConversationIdName = JsonEncodedText.Encode("conversationId");
    private static readonly JsonEncodedText SequenceName = JsonEncodedText.Encode("sequence");
    private static readonly JsonEncodedText KindName = JsonEncodedText.Encode("kind");
    private static readonly JsonEncodedText TextName = JsonEncodedText.Encode("text");
    private static readonly JsonEncodedText ContentName = JsonEncodedText.Encode("content");
    private static readonly JsonEncodedText UsageName = JsonEncodedText.Encode("usage");
    private static readonly JsonEncodedText InputTokensName = JsonEncodedText.Encode("inputTokens");
    private static readonly JsonEncodedText OutputTokensName = JsonEncodedText.Encode("outputTokens");
    private static readonly JsonEncodedText TotalTokensName = JsonEncodedText.Encode("totalTokens");
    private static readonly JsonEncodedText ErrorName = JsonEncodedText.Encode("error");
    private static readonly JsonEncodedText CodeName = JsonEncodedText.Encode("code");
    private static readonly JsonEncodedText TimestampName = JsonEncodedText.Encode("timestamp");

    private static readonly JsonEncodedText[] KindValues =
    [
        JsonEncodedText.Encode("started"),
        JsonEncodedText.Encode("delta"),
        JsonEncodedText.Encode("finished"),
        JsonEncodedText.Encode("failed"),
    ];

    private static readonly JsonEncodedText ConnectedType = JsonEncodedText.Encode("connected");
    private static readonly JsonEncodedText StreamStartType = JsonEncodedText.Encode("stream_start");
    private static readonly JsonEncodedText StreamChunkType = JsonEncodedText.Encode("stream_chunk");
    private static readonly JsonEncodedText StreamCompleteType = JsonEncodedText.Encode("stream_complete");
    private static readonly JsonEncodedText ErrorType = JsonEncodedText.Encode("error");

    /// <summary>The SSE <c>event:</c> name of a kind, as UTF-8: <c>started</c>, <c>delta</c>, <c>finished</c> or <c>failed</c>.</summary>
    public static ReadOnlySpan<byte> EventNameUtf8(ChatStreamingEventKind kind) => kind switch
    {
        ChatStreamingEventKind.Started => "started"u8,
        ChatStreamingEventKind.Delta => "delta"u8,
        ChatStreamingEventKind.Finished => "finished"u8,
        ChatStreamingEventKind.Failed => "failed"u8,
        _ => throw new ArgumentOutOfRangeException(nameof(kind), kind, "Not a defined ChatStreamingEventKind."),
    };

    /// <summary>An SSE event's <c>data:</c>: the event's fields; <c>usage</c> only when known, <c>text</c>/<c>error</c> only for their kinds.</summary>
    public static void WriteSseData(Utf8JsonWriter writer, in ChatStreamingEvent streamingEvent)
    {
        writer.WriteStartObject();
        writer.WriteString(ConversationIdName, streamingEvent.ConversationId);
        writer.WriteNumber(SequenceName, streamingEvent.Sequence);
        writer.WriteString(KindName, KindValues[(int)streamingEvent.Kind]);
        switch (streamingEvent.Kind)
        {
            case ChatStreamingEventKind.Delta:
                writer.WriteString(TextName, streamingEvent.Text);
                break;
            case ChatStreamingEventKind.Finished when streamingEvent.Usage is { } usage:
                WriteUsage(writer, usage);
                break;
            case ChatStreamingEventKind.Failed:
                writer.WriteString(ErrorName, streamingEvent.Error);
                break;
        }

        writer.WriteString(TimestampName, streamingEvent.Timestamp);
        writer.WriteEndObject();
    }

    /// <summary>
    /// A WebSocket message for an event: <c>stream_start</c>, <c>stream_chunk</c>, <c>stream_complete</c> (with <c>usage</c>,
    /// null when unknown) or, for a Failed event, an <c>error</c> with code <c>response_failed</c> and the event's id.
    /// </summary>
    public static void WriteWebSocketEvent(Utf8JsonWriter writer, in ChatStreamingEvent streamingEvent)
    {
        writer.WriteStartObject();
        if (streamingEvent.Kind == ChatStreamingEventKind.Failed)
        {
            writer.WriteString(TypeName, ErrorType);
            writer.WriteString(IdName, streamingEvent.Position.ToString());
            writer.WriteString(CodeName, WebSocketErrorCodes.ResponseFailed);
            writer.WriteString(ErrorName, streamingEvent.Error);
            writer.WriteEndObject();
            return;
        }

        writer.WriteString(TypeName, streamingEvent.Kind switch
        {
            ChatStreamingEventKind.Started => StreamStartType,
            ChatStreamingEventKind.Delta => StreamChunkType,
            _ => StreamCompleteType,
        });
        writer.WriteString(IdName, streamingEvent.Position.ToString());
        writer.WriteString(ConversationIdName, streamingEvent.ConversationId);
        writer.WriteNumber(SequenceName, streamingEvent.Sequence);
        if (streamingEvent.Kind == ChatStreamingEventKind.Delta)
        {
            writer.WriteString(ContentName, streamingEvent.Text);
        }
        else if (streamingEvent.Kind == ChatStreamingEventKind.Finished)
        {
            if (streamingEvent.Usage is { } usage)
            {
                WriteUsage(writer, usage);
            }
            else
            {
                writer.WriteNull(UsageName);
            }
        }

        writer.WriteString(TimestampName, streamingEvent.Timestamp);
        writer.WriteEndObject();
    }

    /// <summary>The WebSocket greeting: <c>{"type":"connected","conversationId":...}</c>.</summary>
    public static void WriteConnected(Utf8JsonWriter writer, string conversationId)
    {
        writer.WriteStartObject();
        writer.WriteString(TypeName, ConnectedType);
        writer.WriteString(ConversationIdName, conversationId);
        writer.WriteEndObject();
    }

    /// <summary>A WebSocket refusal: <c>{"type":"error","id":null,"code":...,"error":...}</c>.</summary>
    public static void WriteError(Utf8JsonWriter writer, string code, string message)
    {
        writer.WriteStartObject();
        writer.WriteString(TypeName, ErrorType);
        writer.WriteNull(IdName);
        writer.WriteString(CodeName, code);
        writer.WriteString(ErrorName, message);
        writer.WriteEndObject();
    }

    private static void WriteUsage(Utf8JsonWriter writer, TokenUsage usage)
    {
        writer.WriteStartObject(UsageName);
        writer.WriteNumber(InputTokensName, usage.InputTokens);
        writer.WriteNumber(OutputTokensName, usage.OutputTokens);
        writer.WriteNumber(TotalTokensName, usage.TotalTokens);
        writer.WriteEndObject();
    }
}
