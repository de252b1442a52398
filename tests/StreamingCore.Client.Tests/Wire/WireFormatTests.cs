using System.Net;
using NUnit.Framework;
using StreamingCore.Client.Tests.Support;

namespace StreamingCore.Client.Tests.Wire;

/// <summary>The client reads the contract's SSE format exactly, and refuses what is not it.</summary>
public class WireFormatTests : ScriptedServerTest
{
    [Test]
    public async Task Every_kind_is_read_exactly_as_the_contract_writes_it()
    {
        // Literal wire text (not produced by a serializer of ours), timestamps with 100 ns precision as "O" writes them.
        const string body =
            "retry: 3000\n" +
            ": heartbeat\n" +
            "\n" +
            "id: 0abc.de_f-9:1\nevent: started\n" +
            "data: {\"conversationId\":\"c1\",\"sequence\":1,\"kind\":\"started\",\"timestamp\":\"2026-01-01T00:00:00.1234567+00:00\"}\n\n" +
            "id: 0abc.de_f-9:2\nevent: delta\n" +
            "data: {\"conversationId\":\"c1\",\"sequence\":2,\"kind\":\"delta\",\"text\":\"a\\r\\nb\\rc\\nd\\u0000 data: id: \\uD83D\\uDE00\",\"timestamp\":\"2026-01-01T00:00:00.9999999+00:00\"}\n\n" +
            ": heartbeat\n\n" +
            "id: 0abc.de_f-9:3\nevent: finished\n" +
            "data: {\"conversationId\":\"c1\",\"sequence\":3,\"kind\":\"finished\",\"usage\":{\"inputTokens\":7,\"outputTokens\":11,\"totalTokens\":18},\"timestamp\":\"2026-01-01T00:00:01+00:00\"}\n\n" +
            "id: 0abc.de_f-9:4\nevent: started\n" +
            "data: {\"conversationId\":\"c1\",\"sequence\":4,\"kind\":\"started\",\"timestamp\":\"2026-01-01T00:00:02+00:00\"}\n\n" +
            "id: 0abc.de_f-9:5\nevent: finished\n" +
            "data: {\"conversationId\":\"c1\",\"sequence\":5,\"kind\":\"finished\",\"timestamp\":\"2026-01-01T00:00:03+00:00\"}\n\n" +
            "id: 0abc.de_f-9:6\nevent: started\n" +
            "data: {\"conversationId\":\"c1\",\"sequence\":6,\"kind\":\"started\",\"timestamp\":\"2026-01-01T00:00:04+00:00\"}\n\n" +
            "id: 0abc.de_f-9:7\nevent: failed\n" +
            "data: {\"conversationId\":\"c1\",\"sequence\":7,\"kind\":\"failed\",\"error\":\"idle timeout\",\"timestamp\":\"2026-01-01T00:00:05+00:00\"}\n\n";

        await using IAsyncEnumerator<ChatStreamingEvent> events = Open();
        Task<List<ChatStreamingEvent>> reading = NextAsync(events, 7);
        ScriptedExchange request = await Server.NextRequestAsync();
        await request.StartEventStreamAsync(body);
        List<ChatStreamingEvent> received = await reading;

        DateTimeOffset At(string value) => DateTimeOffset.Parse(value, System.Globalization.CultureInfo.InvariantCulture);
        ChatStreamPosition Position(long sequence) => new("0abc.de_f-9", sequence);
        ChatStreamingEvent[] expected =
        [
            ChatStreamingEvent.FromPublished(ChatStreamingEventKind.Started, "c1", Position(1), At("2026-01-01T00:00:00.1234567+00:00")),
            ChatStreamingEvent.FromPublished(ChatStreamingEventKind.Delta, "c1", Position(2), At("2026-01-01T00:00:00.9999999+00:00"), text: "a\r\nb\rc\nd\0 data: id: \U0001F600"),
            ChatStreamingEvent.FromPublished(ChatStreamingEventKind.Finished, "c1", Position(3), At("2026-01-01T00:00:01+00:00"), usage: new TokenUsage(7, 11)),
            ChatStreamingEvent.FromPublished(ChatStreamingEventKind.Started, "c1", Position(4), At("2026-01-01T00:00:02+00:00")),
            ChatStreamingEvent.FromPublished(ChatStreamingEventKind.Finished, "c1", Position(5), At("2026-01-01T00:00:03+00:00")),
            ChatStreamingEvent.FromPublished(ChatStreamingEventKind.Started, "c1", Position(6), At("2026-01-01T00:00:04+00:00")),
            ChatStreamingEvent.FromPublished(ChatStreamingEventKind.Failed, "c1", Position(7), At("2026-01-01T00:00:05+00:00"), error: "idle timeout"),
        ];
        Assert.Multiple(() =>
        {
            Assert.That(received, Is.EqualTo(expected));
            Assert.That(received.Select(e => e.Timestamp.UtcTicks), Is.EqualTo(expected.Select(e => e.Timestamp.UtcTicks)), "100 ns precision");
            Assert.That(received.Select(e => e.Position.ToString()), Is.EqualTo(Enumerable.Range(1, 7).Select(s => $"0abc.de_f-9:{s}")));
            Assert.That(received[2].Usage!.TotalTokens, Is.EqualTo(18));
        });
    }

    [Test]
    public async Task The_request_asks_for_an_event_stream_and_sends_no_Last_Event_ID_at_first()
    {
        await using IAsyncEnumerator<ChatStreamingEvent> events = Open();
        ValueTask<bool> first = events.MoveNextAsync();
        ScriptedExchange request = await Server.NextRequestAsync();

        Assert.Multiple(() =>
        {
            Assert.That(request.PathAndQuery, Is.EqualTo("/" + EventsPath));
            Assert.That(request.RequestHeaders.Accept.ToString(), Is.EqualTo("text/event-stream"));
            Assert.That(request.RequestHeaders.CacheControl.ToString(), Is.EqualTo("no-cache"));
            Assert.That(request.LastEventId, Is.Null);
        });
        await request.StartEventStreamAsync(Sse.Frame(Sse.Event(1, ChatStreamingEventKind.Started)));
        Assert.That(await first.Guarded(), Is.True);
    }

    [TestCase("\n")]
    [TestCase("\r\n")]
    [TestCase("\r")]
    public async Task Every_line_ending_reads_the_same(string newline)
    {
        ChatStreamingEvent[] sent = Sse.Response(3);
        await using IAsyncEnumerator<ChatStreamingEvent> events = Open();
        Task<List<ChatStreamingEvent>> reading = NextAsync(events, 3);
        ScriptedExchange request = await Server.NextRequestAsync();
        // A trailing comment: after a lone CR a parser must see the next byte to know the line ended (it may be CRLF).
        await request.StartEventStreamAsync(("\uFEFF" + Sse.Frames(sent) + ": more\n").Replace("\n", newline, StringComparison.Ordinal));

        Assert.That(await reading, Is.EqualTo(sent));
    }

    [Test]
    public async Task Comments_events_of_unknown_types_and_retry_only_blocks_are_skipped()
    {
        await using IAsyncEnumerator<ChatStreamingEvent> events = Open();
        Task<ChatStreamingEvent> reading = NextAsync(events);
        ScriptedExchange request = await Server.NextRequestAsync();
        await request.StartEventStreamAsync(
            ": hello\n\n" +
            "event: usage-report\nid: e1:99\ndata: {\"future\":true}\n\n" +
            "data: an unnamed message\n\n" +
            Sse.Retry(TimeSpan.FromSeconds(2)) +
            Sse.Frame(Sse.Event(1, ChatStreamingEventKind.Started)));

        Assert.That(await reading, Is.EqualTo(Sse.Event(1, ChatStreamingEventKind.Started)));
    }

    [TestCase("id: e1:2\nevent: delta\ndata: {not json\n\n", TestName = "Data that is not JSON")]
    [TestCase("id: e1:2\nevent: delta\ndata: {\"sequence\":2,\"text\":\"x\",\"timestamp\":\"2026-01-01T00:00:00+00:00\"}\n\n", TestName = "No conversationId")]
    [TestCase("event: delta\ndata: {\"conversationId\":\"c1\",\"sequence\":2,\"text\":\"x\",\"timestamp\":\"2026-01-01T00:00:00+00:00\"}\n\n", TestName = "No id")]
    [TestCase("id: 2\nevent: delta\ndata: {\"conversationId\":\"c1\",\"sequence\":2,\"text\":\"x\",\"timestamp\":\"2026-01-01T00:00:00+00:00\"}\n\n", TestName = "An id that is not a position")]
    [TestCase("id: e1:3\nevent: delta\ndata: {\"conversationId\":\"c1\",\"sequence\":2,\"text\":\"x\",\"timestamp\":\"2026-01-01T00:00:00+00:00\"}\n\n", TestName = "An id whose sequence is not the data's")]
    [TestCase("id: e1:2\nevent: delta\ndata: {\"conversationId\":\"c1\",\"sequence\":2,\"timestamp\":\"2026-01-01T00:00:00+00:00\"}\n\n", TestName = "A delta without text")]
    [TestCase("id: e1:2\nevent: failed\ndata: {\"conversationId\":\"c1\",\"sequence\":2,\"timestamp\":\"2026-01-01T00:00:00+00:00\"}\n\n", TestName = "A failure without error")]
    public async Task An_event_the_client_cannot_read_ends_the_stream_with_InvalidResponse_and_no_retry(string frame)
    {
        await using IAsyncEnumerator<ChatStreamingEvent> events = Open();
        Task<ChatStreamingEvent> started = NextAsync(events);
        ScriptedExchange request = await Server.NextRequestAsync();
        await request.StartEventStreamAsync(Sse.Frame(Sse.Event(1, ChatStreamingEventKind.Started)) + frame);
        await started;

        HttpRequestException error = (await Assert.ThrowsAsync<HttpRequestException>(async () => await events.MoveNextAsync().Guarded()))!;
        Assert.Multiple(() =>
        {
            Assert.That(error.HttpRequestError, Is.EqualTo(HttpRequestError.InvalidResponse));
            Assert.That(Server.RequestCount, Is.EqualTo(1), "not retried");
            Assert.That(Time.HasUnreadTimer, Is.False, "no reconnection wait");
        });
    }

    [Test]
    public async Task A_200_that_is_not_an_event_stream_fails_for_good()
    {
        await using IAsyncEnumerator<ChatStreamingEvent> events = Open();
        ValueTask<bool> first = events.MoveNextAsync();
        ScriptedExchange request = await Server.NextRequestAsync();
        await request.RespondProblemAsync((int)HttpStatusCode.OK, "not a stream"); // 200 application/problem+json

        HttpRequestException error = (await Assert.ThrowsAsync<HttpRequestException>(async () => await first.Guarded()))!;
        Assert.Multiple(() =>
        {
            Assert.That(error.HttpRequestError, Is.EqualTo(HttpRequestError.InvalidResponse));
            Assert.That(error.Message, Does.Contain("application/problem+json"));
            Assert.That(Server.RequestCount, Is.EqualTo(1));
        });
    }
}
