using System.Globalization;
using System.Net.WebSockets;
using System.Text.Json;
using NUnit.Framework;
using StackExchange.Redis;
using StreamingCore.Client;
using StreamingCore.Redis.Tests.Infrastructure;

namespace StreamingCore.Redis.Tests.Transports;

/// <summary>
/// A client connected to app instance B while the producer runs on instance A loses B (stopped) and resumes on instance C
/// from the last id it got: it reassembles exactly what A published, no duplicate, no gap. Three instances on the run's
/// shared Redis: A a bare store (no HTTP), B and C real Kestrel apps with <c>AddRedis</c> and the endpoints.
/// </summary>
public class HandOverTests
{
    private RedisServer _server = null!;
    private string _prefix = null!;
    private RedisChatStreamingStore _a = null!;
    private RedisWebApp _b = null!;
    private RedisWebApp _c = null!;

    [OneTimeSetUp]
    public async Task Connect() => _server = await SharedRedis.ServerAsync().Guarded();

    [SetUp]
    public async Task StartInstances()
    {
        _prefix = TestKeyPrefix.Next();
        ConnectionMultiplexer forA = await _server.ConnectAsync().Guarded();
        _a = new RedisChatStreamingStore(forA, redisOptions: new RedisChatStreamingOptions { KeyPrefix = _prefix }, ownsMultiplexer: true);
        _b = await RedisWebApp.StartAsync(_server.ConnectionString, _prefix).Guarded();
        _c = await RedisWebApp.StartAsync(_server.ConnectionString, _prefix).Guarded();
    }

    [TearDown]
    public async Task StopInstances()
    {
        await _b.DisposeAsync().Guarded();
        await _c.DisposeAsync().Guarded();
        await _a.DisposeAsync();
    }

    [Test]
    public async Task An_SSE_client_connected_to_B_resumes_on_C_with_Last_Event_ID_and_gets_the_exact_text()
    {
        const string Conversation = "sse-hand-over";
        List<ChatStreamingEvent> published = [_a.Publish(ChatStreamingEvent.Started(Conversation)), .. PublishDeltas(Conversation, 1, 3)];
        using var http = new HttpClient();

        List<WireEvent> received = [];
        using (SseStream onB = await SseStream.OpenAsync(http, new Uri(_b.Address, RedisWebApp.EventsPath(Conversation)), requireSuccess: true, endWhenServerLeaves: true))
        {
            // Part of the response from B: Started and the three deltas so far.
            for (int i = 0; i < 4; i++)
            {
                received.Add(await onB.NextAsync() ?? throw new AssertionException($"B's stream ended after {received.Count} events"));
            }

            published.AddRange(PublishDeltas(Conversation, 4, 5));

            // B goes away; whatever it had sent before is the client's too, up to the end of its body.
            await _b.DisposeAsync().Guarded();
            while (await onB.NextAsync() is { } more)
            {
                received.Add(more);
            }
        }

        int fromB = received.Count;
        published.AddRange(PublishDeltas(Conversation, 6, 8));
        published.Add(_a.Publish(ChatStreamingEvent.Finished(Conversation, new TokenUsage(5, 8))));

        using (SseStream onC = await SseStream.OpenAsync(http, new Uri(_c.Address, RedisWebApp.EventsPath(Conversation)), lastEventId: received[^1].Id, requireSuccess: true, endWhenServerLeaves: true))
        {
            received.AddRange(await onC.ReadThroughAsync("finished"));
        }

        Assert.That(fromB, Is.InRange(4, 6), "B sent Started, the first three deltas, and perhaps the next two before it stopped");
        Assert.That(received.Select(e => e.Sequence), Is.EqualTo(Enumerable.Range(1, published.Count).Select(i => (long)i)), "contiguous, no duplicate");
        Assert.That(received.Select(e => e.Id), Is.EqualTo(published.Select(e => e.Position.ToString())));
        Assert.That(received.Select(e => e.Type), Is.EqualTo(published.Select(e => e.Kind.ToString().ToLowerInvariant())));
        Assert.That(string.Concat(received.Select(e => e.Text)), Is.EqualTo(string.Concat(published.Select(e => e.Text))));
        Assert.That(string.Concat(received.Select(e => e.Text)), Is.EqualTo("d1 d2 d3 d4 d5 d6 d7 d8 "));
        Assert.That(received[^1].Data.GetProperty("usage").GetProperty("totalTokens").GetInt32(), Is.EqualTo(13));
    }

    [Test]
    public async Task The_ChatStreamingClient_reconnects_to_C_when_B_stops_and_yields_every_event_A_published_once()
    {
        const string Conversation = "client-hand-over";
        List<ChatStreamingEvent> published = [_a.Publish(ChatStreamingEvent.Started(Conversation)), .. PublishDeltas(Conversation, 1, 3)];
        using var router = new Router(_b.Address);
        using var http = new HttpClient(router) { BaseAddress = new Uri("http://chat.invalid/") };
        var client = new ChatStreamingClient(http, new ChatStreamingClientOptions { MaxConsecutiveFailures = 3 });

        List<ChatStreamingEvent> received = [];
        await using (IAsyncEnumerator<ChatStreamingEvent> events = client.StreamAsync(RedisWebApp.EventsPath(Conversation).TrimStart('/'), cancellationToken: TestGuard.Token).GetAsyncEnumerator())
        {
            for (int i = 0; i < 4; i++)
            {
                Assert.That(await events.MoveNextAsync().Guarded(), Is.True);
                received.Add(events.Current);
            }

            // The balancer sends new connections to C from now on; B stops while the producer goes on.
            router.Target = _c.Address;
            published.AddRange(PublishDeltas(Conversation, 4, 5));
            await _b.DisposeAsync().Guarded();
            published.AddRange(PublishDeltas(Conversation, 6, 8));
            published.Add(_a.Publish(ChatStreamingEvent.Finished(Conversation, new TokenUsage(5, 8))));

            while (!received[^1].IsTerminal)
            {
                Assert.That(await events.MoveNextAsync().Guarded(), Is.True);
                received.Add(events.Current);
            }
        }

        Assert.That(received, Is.EqualTo(published));
        Assert.That(received.Select(e => e.Sequence), Is.EqualTo(Enumerable.Range(1, 10).Select(i => (long)i)));
        Assert.That(string.Concat(received.Select(e => e.Text)), Is.EqualTo("d1 d2 d3 d4 d5 d6 d7 d8 "));

        (Uri Target, string? LastEventId)[] requests = router.Requests;
        Assert.That(requests, Has.Length.EqualTo(2));
        Assert.That(requests[0], Is.EqualTo((_b.Address, (string?)null)));
        Assert.That(requests[1].Target, Is.EqualTo(_c.Address));
        int resumedAfter = received.FindIndex(e => e.Position.ToString() == requests[1].LastEventId);
        Assert.That(resumedAfter, Is.InRange(3, 5), "the resume point is the last event B delivered");
    }

    [Test]
    public async Task A_WebSocket_client_connected_to_B_resumes_on_C_with_lastEventId_and_gets_the_exact_text()
    {
        const string Conversation = "ws-hand-over";
        List<ChatStreamingEvent> published = [_a.Publish(ChatStreamingEvent.Started(Conversation)), .. PublishDeltas(Conversation, 1, 3)];

        List<JsonElement> received = [];
        using (var onB = new ClientWebSocket())
        {
            await onB.ConnectAsync(_b.WebSocketUri(Conversation), TestGuard.Token).Guarded();
            Assert.That(Type(await ReceiveAsync(onB) ?? default), Is.EqualTo("connected"));
            for (int i = 0; i < 4; i++)
            {
                received.Add(await ReceiveAsync(onB) ?? throw new AssertionException($"B closed after {received.Count} events"));
            }

            published.AddRange(PublishDeltas(Conversation, 4, 5));
            Task stopping = _b.DisposeAsync().AsTask();
            while (await ReceiveAsync(onB) is { } more)
            {
                received.Add(more);
            }

            Assert.That(onB.CloseStatus, Is.EqualTo(WebSocketCloseStatus.EndpointUnavailable), "the app stopping closes with 1001");
            await onB.CloseOutputAsync(WebSocketCloseStatus.NormalClosure, null, TestGuard.Token).Guarded();
            await stopping.Guarded();
        }

        published.AddRange(PublishDeltas(Conversation, 6, 8));
        published.Add(_a.Publish(ChatStreamingEvent.Finished(Conversation, new TokenUsage(5, 8))));

        using (var onC = new ClientWebSocket())
        {
            await onC.ConnectAsync(_c.WebSocketUri(Conversation, received[^1].GetProperty("id").GetString()), TestGuard.Token).Guarded();
            Assert.That(Type(await ReceiveAsync(onC) ?? default), Is.EqualTo("connected"));
            while (await ReceiveAsync(onC) is { } message)
            {
                received.Add(message);
                if (Type(message) == "stream_complete")
                {
                    break;
                }
            }
        }

        Assert.That(received.Select(m => m.GetProperty("sequence").GetInt64()), Is.EqualTo(Enumerable.Range(1, published.Count).Select(i => (long)i)));
        Assert.That(received.Select(m => m.GetProperty("id").GetString()), Is.EqualTo(published.Select(e => e.Position.ToString())));
        Assert.That(received.Select(Type), Is.EqualTo(published.Select(e => e.Kind switch
        {
            ChatStreamingEventKind.Started => "stream_start",
            ChatStreamingEventKind.Delta => "stream_chunk",
            _ => "stream_complete",
        })));
        Assert.That(
            string.Concat(received.Select(m => m.TryGetProperty("content", out JsonElement c) ? c.GetString() : null)),
            Is.EqualTo("d1 d2 d3 d4 d5 d6 d7 d8 "));
    }

    [Test]
    public async Task An_SSE_client_on_B_follows_the_conversation_through_every_later_response_that_A_produces()
    {
        const string Conversation = "follow";
        List<ChatStreamingEvent> published = [_a.Publish(ChatStreamingEvent.Started(Conversation))];
        using var http = new HttpClient();
        using SseStream onB = await SseStream.OpenAsync(http, new Uri(_b.Address, RedisWebApp.EventsPath(Conversation)), requireSuccess: true, endWhenServerLeaves: true);
        List<WireEvent> received = [await onB.NextAsync() ?? throw new AssertionException("B's stream ended at once")];

        // The first response read to its end; then the second, and the third right after it: each Started comes while B's
        // endpoint may still be between two subscriptions.
        published.AddRange(PublishDeltas(Conversation, 1, 2));
        published.Add(_a.Publish(ChatStreamingEvent.Finished(Conversation)));
        received.AddRange(await onB.ReadThroughAsync("finished"));
        for (int response = 2; response <= 3; response++)
        {
            published.Add(_a.Publish(ChatStreamingEvent.Started(Conversation)));
            published.AddRange(PublishDeltas(Conversation, (response * 2) - 1, response * 2));
            published.Add(_a.Publish(ChatStreamingEvent.Finished(Conversation)));
        }

        received.AddRange(await onB.ReadThroughAsync("finished"));
        received.AddRange(await onB.ReadThroughAsync("finished"));

        Assert.That(received.Select(e => e.Id), Is.EqualTo(published.Select(e => e.Position.ToString())));
        Assert.That(received.Select(e => e.Sequence), Is.EqualTo(Enumerable.Range(1, 12).Select(i => (long)i)));
        Assert.That(string.Concat(received.Select(e => e.Text)), Is.EqualTo("d1 d2 d3 d4 d5 d6 "));
    }

    [TestCase("other-epoch", 1)]
    [TestCase(null, 4)]
    public async Task A_Last_Event_ID_of_another_epoch_or_ahead_of_the_stream_gets_410_on_C(string? epoch, long sequence)
    {
        const string Conversation = "gone";
        List<ChatStreamingEvent> published = [_a.Publish(ChatStreamingEvent.Started(Conversation)), .. PublishDeltas(Conversation, 1, 1)];
        published.Add(_a.Publish(ChatStreamingEvent.Finished(Conversation)));
        using var http = new HttpClient();
        using (SseStream exact = await SseStream.OpenAsync(http, new Uri(_c.Address, RedisWebApp.EventsPath(Conversation)), published[0].Position.ToString(), requireSuccess: true, endWhenServerLeaves: true))
        {
            Assert.That((await exact.ReadThroughAsync("finished")).Select(e => e.Id), Is.EqualTo(published[1..].Select(e => e.Position.ToString())));
        }

        using var request = new HttpRequestMessage(HttpMethod.Get, new Uri(_c.Address, RedisWebApp.EventsPath(Conversation)));
        request.Headers.TryAddWithoutValidation("Last-Event-ID", new ChatStreamPosition(epoch ?? published[0].Epoch!, sequence).ToString());
        using HttpResponseMessage response = await http.SendAsync(request, TestGuard.Token).Guarded();

        Assert.That((int)response.StatusCode, Is.EqualTo(410));
        Assert.That(response.Content.Headers.ContentType?.MediaType, Is.EqualTo("application/problem+json"));
    }

    private List<ChatStreamingEvent> PublishDeltas(string conversation, int first, int last)
        => [.. Enumerable.Range(first, last - first + 1).Select(i => _a.Publish(ChatStreamingEvent.Delta(conversation, $"d{i.ToString(CultureInfo.InvariantCulture)} ")))];

    private static string? Type(JsonElement message) => message.ValueKind == JsonValueKind.Object ? message.GetProperty("type").GetString() : null;

    /// <summary>The next message as JSON, or null once the server closed.</summary>
    private static async Task<JsonElement?> ReceiveAsync(ClientWebSocket socket)
    {
        var buffer = new System.Buffers.ArrayBufferWriter<byte>(16 * 1024);
        ValueWebSocketReceiveResult result;
        do
        {
            result = await socket.ReceiveAsync(buffer.GetMemory(16 * 1024), TestGuard.Token).Guarded();
            buffer.Advance(result.Count);
        }
        while (!result.EndOfMessage);

        return result.MessageType == WebSocketMessageType.Close ? null : JsonDocument.Parse(buffer.WrittenMemory).RootElement.Clone();
    }

    /// <summary>A load balancer in the client: sends each request to the current target instance and records it.</summary>
    private sealed class Router(Uri target) : DelegatingHandler(new SocketsHttpHandler())
    {
        private readonly List<(Uri, string?)> _requests = [];

        public Uri Target { get; set; } = target;

        public (Uri Target, string? LastEventId)[] Requests
        {
            get
            {
                lock (_requests)
                {
                    return [.. _requests];
                }
            }
        }

        protected override Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
        {
            Uri target = Target;
            request.RequestUri = new Uri(target, request.RequestUri!.PathAndQuery);
            lock (_requests)
            {
                _requests.Add((target, request.Headers.TryGetValues("Last-Event-ID", out IEnumerable<string>? ids) ? ids.Single() : null));
            }

            return base.SendAsync(request, cancellationToken);
        }
    }
}
