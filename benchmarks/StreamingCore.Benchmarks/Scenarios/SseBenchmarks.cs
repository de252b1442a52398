using System.Buffers;
using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.Json.Serialization;
using BenchmarkDotNet.Attributes;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Time.Testing;
using StreamingCore.AspNetCore;
using StreamingCore.Benchmarks.Infrastructure;

namespace StreamingCore.Benchmarks.Scenarios;

/// <summary>
/// The SSE transport, per delta: a connection that replays one retained response of <see cref="Deltas"/> deltas through the
/// real endpoint (<see cref="ChatStreamingResults.Events"/>, what <c>MapChatStreamingEvents</c> runs) against the same
/// subscription written to the response by hand; all three write byte for byte the same events (checked in the setup).
/// </summary>
/// <remarks>
/// In process, without sockets: each invocation is a new <see cref="DefaultHttpContext"/> whose body counts and discards,
/// so the ratio is the endpoint's framing, serialization and following against the hand-written loop's, not the network.
/// The endpoint's writer is internal to StreamingCore.AspNetCore, so it is driven through its public <see cref="IResult"/>.
/// The endpoint's connection setup, its <c>retry:</c> line, and its wait for the conversation's next response after the
/// replay (a second subscription and a heartbeat timer, ended by the client leaving) are part of its cost, spread over
/// the deltas; so are the exceptions with which that wait ends. The hand-written loops stop after the response's terminal
/// event: they do not resume, follow or send heartbeats.
/// </remarks>
[MemoryDiagnoser]
[ExceptionDiagnoser]
[Config(typeof(WireBytesPerDeltaColumn.Config))]
public class SseBenchmarks
{
    /// <summary>The deltas of the replayed response; with its started and finished events, 1,002 events.</summary>
    public const int Deltas = 1_000;

    private const string ConversationId = "conversation-0";
    private const string Token = "tok";

    private static readonly byte[] Retry = "retry: 3000\n\n"u8.ToArray();
    private static readonly byte[][] KindUtf8 = ["started"u8.ToArray(), "delta"u8.ToArray(), "finished"u8.ToArray(), "failed"u8.ToArray()];
    private static readonly string[] KindNames = ["started", "delta", "finished", "failed"];

    // What a hand-written endpoint configures for JsonSerializer to match the contract: camelCase names, no null fields.
    private static readonly JsonSerializerOptions SerializerOptions = new()
    {
        PropertyNamingPolicy = JsonNamingPolicy.CamelCase,
        DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
    };

    private readonly CountingStream _body = new();
    private readonly ArrayBufferWriter<byte> _event = new(256);
    private readonly Utf8JsonWriter _json = new(Stream.Null);
    private ServiceProvider _services = null!;
    private IChatStreamingStore _store = null!;
    private long _endpointBytes;

    private delegate void EventWriter(ArrayBufferWriter<byte> buffer, Utf8JsonWriter json, in ChatStreamingEvent streamingEvent);

    [GlobalSetup]
    public async Task Setup()
    {
        // The store's clock stands still at a time with all seven fraction digits, so every run writes the same bytes; the
        // endpoint's heartbeat timer runs on the system clock (no TimeProvider is registered).
        var clock = new FakeTimeProvider(new DateTimeOffset(2026, 11, 26, 12, 0, 0, TimeSpan.Zero).AddTicks(1_234_567));
        var options = new ChatStreamingOptions { RetentionPeriod = TimeSpan.FromDays(1), IdleTimeout = Timeout.InfiniteTimeSpan };
        _services = new ServiceCollection()
            .AddSingleton<IChatStreamingStore>(new DefaultChatStreamingStore(options, clock))
            .AddOptions()
            .BuildServiceProvider();
        _store = _services.GetRequiredService<IChatStreamingStore>();

        _store.Publish(ChatStreamingEvent.Started(ConversationId));
        for (int i = 0; i < Deltas; i++)
        {
            _store.Publish(ChatStreamingEvent.Delta(ConversationId, Token));
        }

        _store.Publish(ChatStreamingEvent.Finished(ConversationId));
        _endpointBytes = await ThrowUnlessTheSameBytesAsync();
    }

    [GlobalCleanup]
    public async Task Cleanup() => await _services.DisposeAsync();

    [Benchmark(Baseline = true, OperationsPerInvoke = Deltas, Description = "by hand: Utf8JsonWriter")]
    public async Task<long> HandWritten()
    {
        _body.Reset();
        await HandWrittenAsync(_body, WriteEvent);
        return _body.BytesWritten;
    }

    [Benchmark(OperationsPerInvoke = Deltas, Description = "by hand: JsonSerializer + string")]
    public async Task<long> HandWrittenWithSerializer()
    {
        _body.Reset();
        await HandWrittenAsync(_body, WriteEventWithSerializer);
        return _body.BytesWritten;
    }

    [Benchmark(OperationsPerInvoke = Deltas, Description = "StreamingCore SSE endpoint")]
    public async Task<long> Endpoint()
    {
        _body.Reset();
        await EndpointAsync(_body);
        return _body.BytesWritten == _endpointBytes
            ? _body.BytesWritten
            : throw new InvalidOperationException($"The endpoint wrote {_body.BytesWritten} bytes, not {_endpointBytes}: the client left before the replay was written.");
    }

    /// <summary>
    /// One connection to the endpoint. It replays the retained response synchronously (every write to the body completes at
    /// once), so by the time its task is returned it waits for the conversation's next response; then the client leaves.
    /// </summary>
    private async Task EndpointAsync(Stream body)
    {
        using var clientLeft = new CancellationTokenSource();
        Task response = ChatStreamingResults.Events(ConversationId).ExecuteAsync(NewRequest(body, clientLeft.Token));

        // Cancel, not CancelAsync: the endpoint ends on this thread rather than after a hop through the busy thread pool.
        clientLeft.Cancel();
        await response;
    }

    /// <summary>What an app writes without the library: subscribe, write and flush each event as it comes, until the response ends.</summary>
    private async Task HandWrittenAsync(Stream body, EventWriter writeEvent)
    {
        using var clientLeft = new CancellationTokenSource();
        HttpResponse response = NewRequest(body, clientLeft.Token).Response;
        response.ContentType = "text/event-stream";
        response.Headers.CacheControl = "no-cache";
        await response.StartAsync(clientLeft.Token);
        await foreach (ChatStreamingEvent e in _store.SubscribeAsync(ConversationId, afterSequence: 0, clientLeft.Token))
        {
            _event.ResetWrittenCount();
            writeEvent(_event, _json, e);
            await response.Body.WriteAsync(_event.WrittenMemory, clientLeft.Token);
            await response.Body.FlushAsync(clientLeft.Token);
        }
    }

    private HttpContext NewRequest(Stream body, CancellationToken clientLeft)
    {
        var context = new DefaultHttpContext { RequestServices = _services, RequestAborted = clientLeft };
        context.Response.Body = body;
        return context;
    }

    /// <summary>
    /// The event as the contract frames it (<c>id:</c>, <c>event:</c>, <c>data:</c>, the endpoint's order) and with the same
    /// JSON, so that both streams are byte for byte the same.
    /// </summary>
    private static void WriteEvent(ArrayBufferWriter<byte> buffer, Utf8JsonWriter json, in ChatStreamingEvent e)
    {
        buffer.Write("id: "u8);
        ChatStreamPosition position = e.Position;
        buffer.Advance(Encoding.UTF8.GetBytes(position.Epoch, buffer.GetSpan(Encoding.UTF8.GetMaxByteCount(position.Epoch.Length))));
        buffer.Write(":"u8);
        position.Sequence.TryFormat(buffer.GetSpan(20), out int written, provider: CultureInfo.InvariantCulture);
        buffer.Advance(written);
        buffer.Write("\nevent: "u8);
        buffer.Write(KindUtf8[(int)e.Kind]);
        buffer.Write("\ndata: "u8);
        json.Reset(buffer);
        json.WriteStartObject();
        json.WriteString("conversationId"u8, e.ConversationId);
        json.WriteNumber("sequence"u8, e.Sequence);
        json.WriteString("kind"u8, KindUtf8[(int)e.Kind]);
        if (e.Text is { } text)
        {
            json.WriteString("text"u8, text);
        }

        json.WriteString("timestamp"u8, e.Timestamp);
        json.WriteEndObject();
        json.Flush();
        buffer.Write("\n\n"u8);
    }

    /// <summary>The same event the way it is often written: a payload serialized to a string, interpolated, then encoded.</summary>
    private static void WriteEventWithSerializer(ArrayBufferWriter<byte> buffer, Utf8JsonWriter json, in ChatStreamingEvent e)
    {
        string kind = KindNames[(int)e.Kind];
        string data = JsonSerializer.Serialize(new EventPayload(e.ConversationId, e.Sequence, kind, e.Text, e.Timestamp), SerializerOptions);
        string text = $"id: {e.Position}\nevent: {kind}\ndata: {data}\n\n";
        buffer.Advance(Encoding.UTF8.GetBytes(text, buffer.GetSpan(Encoding.UTF8.GetMaxByteCount(text.Length))));
    }

    /// <summary>Fails the run unless the endpoint writes its <c>retry:</c> line and then exactly what each hand-written loop writes; returns its byte count.</summary>
    private async Task<long> ThrowUnlessTheSameBytesAsync()
    {
        using var endpoint = new MemoryStream();
        await EndpointAsync(endpoint);
        byte[] written = endpoint.ToArray();
        foreach (EventWriter writeEvent in new EventWriter[] { WriteEvent, WriteEventWithSerializer })
        {
            using var byHand = new MemoryStream();
            await HandWrittenAsync(byHand, writeEvent);
            if (!written.AsSpan().SequenceEqual([.. Retry, .. byHand.ToArray()]))
            {
                throw new InvalidOperationException(
                    $"The endpoint's stream ({written.Length} bytes) is not retry: and the hand-written one ({byHand.Length} bytes); it begins:\n{Encoding.UTF8.GetString(written.AsSpan(0, Math.Min(written.Length, 300)))}");
            }
        }

        return written.Length;
    }

    private sealed record EventPayload(string ConversationId, long Sequence, string Kind, string? Text, DateTimeOffset Timestamp);
}
