using System.Buffers;
using System.Net.ServerSentEvents;
using System.Text.Json;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.Extensions.AI;

namespace StreamingCore.WebSample.AISdk;

/// <summary>
/// Writes one answer as the AI SDK's UI message stream, from its <c>Started</c> to <c>data: [DONE]</c>, reading the
/// store from the answer's start; the same chunks whenever it is written, so a resumed stream equals the original.
/// </summary>
/// <remarks>
/// <c>Started</c> → <c>start</c> (messageId from the Started position, the same for every reader) and <c>text-start</c>;
/// each non-empty <c>Delta</c> → <c>text-delta</c> (a trailing high surrogate held back for the next one); <c>Finished</c> → <c>text-end</c> and <c>finish</c> with the model's
/// finish reason; <c>Failed</c> → <c>text-end</c>, <c>error</c> with the event's error and <c>finish</c> with
/// <c>error</c>. <c>finish</c> waits for the answer to be saved, so once <c>[DONE]</c> is written the conversation takes
/// the next message and its resume route answers 204.
/// </remarks>
public sealed class UIMessageStreamResult(Answer answer) : IResult
{
    /// <summary>The header that marks a UI message stream, and its value.</summary>
    public const string HeaderName = "x-vercel-ai-ui-message-stream";

    /// <inheritdoc cref="HeaderName"/>
    public const string HeaderValue = "v1";

    private static readonly byte[] Done = "[DONE]"u8.ToArray();

    /// <summary>The AI SDK's finish reason for Microsoft.Extensions.AI's: <c>stop</c>, <c>length</c>, <c>tool-calls</c>, <c>content-filter</c>; <c>stop</c> when the model gave none; <c>other</c> for any other value.</summary>
    public static string FinishReasonOf(ChatFinishReason? reason)
    {
        if (reason is not { } value)
        {
            return "stop";
        }

        return value == ChatFinishReason.Stop ? "stop"
            : value == ChatFinishReason.Length ? "length"
            : value == ChatFinishReason.ToolCalls ? "tool-calls"
            : value == ChatFinishReason.ContentFilter ? "content-filter"
            : "other";
    }

    /// <inheritdoc />
    public async Task ExecuteAsync(HttpContext httpContext)
    {
        ArgumentNullException.ThrowIfNull(httpContext);
        IChatStreamingStore store = httpContext.RequestServices.GetRequiredService<IChatStreamingStore>();
        CancellationToken clientLeft = httpContext.RequestAborted;

        HttpResponse response = httpContext.Response;
        response.ContentType = "text/event-stream";
        response.Headers.CacheControl = "no-cache";
        response.Headers[HeaderName] = HeaderValue;
        response.Headers["X-Accel-Buffering"] = "no";
        httpContext.Features.Get<IHttpResponseBodyFeature>()?.DisableBuffering();

        using var json = new Utf8JsonWriter(Stream.Null);
        try
        {
            await SseFormatter.WriteAsync(ChunksAsync(store, clientLeft), response.Body, (item, destination) => Format(json, item.Data, destination), clientLeft);
        }
        catch (Exception ex) when (clientLeft.IsCancellationRequested && ex is OperationCanceledException or IOException)
        {
            // The client left; the answer goes on, and a resume reads it from its start.
        }
    }

    private static void Format(Utf8JsonWriter json, UIMessageChunk? chunk, IBufferWriter<byte> destination)
    {
        if (chunk is null)
        {
            destination.Write(Done);
            return;
        }

        json.Reset(destination);
        JsonSerializer.Serialize(json, chunk, UIMessageJsonContext.Default.UIMessageChunk);
        json.Flush();
    }

    /// <summary>The chunks of the answer; <see langword="null"/> is <c>[DONE]</c>.</summary>
    private async IAsyncEnumerable<SseItem<UIMessageChunk?>> ChunksAsync(IChatStreamingStore store, [System.Runtime.CompilerServices.EnumeratorCancellation] CancellationToken cancellationToken)
    {
        // The answer's own events: from the position just before its Started, whatever came after it in the conversation.
        var beforeStart = new ChatStreamPosition(answer.Started.Epoch, answer.Started.Sequence - 1);
        string messageId = $"msg-{answer.Started.Epoch}-{answer.Started.Sequence}";
        string textId = $"text-{answer.Started.Sequence}";

        // A high surrogate that ended the previous delta, held back until its low surrogate comes: JSON cannot carry half a
        // character (System.Text.Json writes U+FFFD for it), so a character the model split across two updates would
        // otherwise reach the client as two replacement characters.
        string? heldBack = null;
        await foreach (ChatStreamingEvent streamingEvent in store.SubscribeAsync(answer.ConversationId, beforeStart, cancellationToken))
        {
            switch (streamingEvent.Kind)
            {
                case ChatStreamingEventKind.Started:
                    yield return Item(new StartChunk(messageId));
                    yield return Item(new TextStartChunk(textId));
                    break;
                case ChatStreamingEventKind.Delta when streamingEvent.Text is { Length: > 0 } text:
                    string whole = heldBack is null ? text : heldBack + text;
                    heldBack = null;
                    if (char.IsHighSurrogate(whole[^1]))
                    {
                        heldBack = whole[^1..];
                        whole = whole[..^1];
                    }

                    if (whole.Length > 0)
                    {
                        yield return Item(new TextDeltaChunk(textId, whole));
                    }

                    break;
                case ChatStreamingEventKind.Finished:
                    if (heldBack is not null)
                    {
                        yield return Item(new TextDeltaChunk(textId, heldBack));
                    }

                    yield return Item(new TextEndChunk(textId));
                    await answer.Completion.WaitAsync(cancellationToken);
                    yield return Item(new FinishChunk(FinishReasonOf(answer.FinishReason)));
                    break;
                case ChatStreamingEventKind.Failed:
                    if (heldBack is not null)
                    {
                        yield return Item(new TextDeltaChunk(textId, heldBack));
                    }

                    yield return Item(new TextEndChunk(textId));
                    yield return Item(new ErrorChunk(streamingEvent.Error ?? "The answer failed."));
                    await answer.Completion.WaitAsync(cancellationToken);
                    yield return Item(new FinishChunk("error"));
                    break;
            }
        }

        yield return Item(null);
    }

    private static SseItem<UIMessageChunk?> Item(UIMessageChunk? chunk) => new(chunk);
}
