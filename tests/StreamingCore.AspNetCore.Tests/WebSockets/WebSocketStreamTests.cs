using System.Globalization;
using System.Net;
using System.Net.WebSockets;
using System.Text.Json;
using NUnit.Framework;
using StreamingCore.AspNetCore.Tests.Support;

namespace StreamingCore.AspNetCore.Tests.WebSockets;

public class WebSocketStreamTests
{
    private const string Conversation = "ws";

    [Test]
    public async Task Resuming_after_every_position_of_a_response_while_it_streams_yields_each_later_event_once_in_order()
    {
        const int Events = 40;
        await using TestApp app = await TestApp.StartAsync(store => store.MaxSubscribersPerConversation = Events);
        string[] texts = [.. Enumerable.Range(2, Events - 2).Select(i => $"<{i}>")];
        var published = new List<ChatStreamingEvent>();
        void PublishUpTo(long sequence)
        {
            while (published.Count < sequence)
            {
                int next = published.Count + 1;
                published.Add(app.Store.Publish(next switch
                {
                    1 => ChatStreamingEvent.Started(Conversation),
                    Events => ChatStreamingEvent.Finished(Conversation),
                    _ => ChatStreamingEvent.Delta(Conversation, texts[next - 2]),
                }));
            }
        }

        var readers = new List<Task<List<JsonElement>>>();
        for (int k = 1; k < Events; k++)
        {
            PublishUpTo(Math.Min(Events, k + (k % 4)));
            readers.Add(ReadResumedAsync(app, published[k - 1].Position.ToString()));
            await app.Store.Subscribed.WaitForAsync(k);
            PublishUpTo(Math.Min(Events, published.Count + 1));
        }

        PublishUpTo(Events);
        List<JsonElement>[] received = await Task.WhenAll(readers).Guarded();

        for (int k = 1; k < Events; k++)
        {
            List<JsonElement> messages = received[k - 1];
            Assert.That(messages.Select(m => m.Sequence()), Is.EqualTo(Enumerable.Range(k + 1, Events - k).Select(s => (long)s)), $"after {k}");
            Assert.That(messages.Select(m => m.GetProperty("id").GetString()), Is.EqualTo(published.Skip(k).Select(e => e.Position.ToString())), $"ids after {k}");
            Assert.That(string.Concat(messages.Where(m => m.Type() == "stream_chunk").Select(m => m.GetProperty("content").GetString())), Is.EqualTo(string.Concat(texts.Skip(Math.Max(0, k - 1)))), $"text after {k}");
        }
    }

    [Test]
    public async Task Messages_are_connected_then_stream_start_chunk_complete_and_error_as_the_contract_writes_them()
    {
        await using TestApp app = await TestApp.StartAsync();
        ChatStreamingEvent[] published =
        [
            app.Store.Publish(ChatStreamingEvent.Started(Conversation)),
            app.Store.Publish(ChatStreamingEvent.Delta(Conversation, "Hel\r\n\0😀")),
            app.Store.Publish(ChatStreamingEvent.Finished(Conversation, new TokenUsage(5, 7))),
            app.Store.Publish(ChatStreamingEvent.Started(Conversation)),
            app.Store.Publish(ChatStreamingEvent.Finished(Conversation)),
            app.Store.Publish(ChatStreamingEvent.Started(Conversation)),
            app.Store.Publish(ChatStreamingEvent.Failed(Conversation, "boom")),
        ];

        using WsClient client = await WsClient.ConnectAsync(app, Conversation, published[0].Position.ToString());
        List<JsonElement> messages = [.. await client.ReceiveThroughAsync("stream_complete"), .. await client.ReceiveThroughAsync("stream_complete"), .. await client.ReceiveThroughAsync("error")];
        string Id(int i) => published[i].Position.ToString();
        string Time(int i) => published[i].Timestamp.ToString("yyyy-MM-ddTHH:mm:ss.FFFFFFFzzz", CultureInfo.InvariantCulture);

        Assert.That(messages.Select(m => m.ToString()), Is.EqualTo(new[]
        {
            """{"type":"connected","conversationId":"ws"}""",
            $$"""{"type":"stream_chunk","id":"{{Id(1)}}","conversationId":"ws","sequence":2,"content":"Hel\r\n\u0000\uD83D\uDE00","timestamp":"{{Time(1)}}"}""",
            $$"""{"type":"stream_complete","id":"{{Id(2)}}","conversationId":"ws","sequence":3,"usage":{"inputTokens":5,"outputTokens":7,"totalTokens":12},"timestamp":"{{Time(2)}}"}""",
            $$"""{"type":"stream_start","id":"{{Id(3)}}","conversationId":"ws","sequence":4,"timestamp":"{{Time(3)}}"}""",
            $$"""{"type":"stream_complete","id":"{{Id(4)}}","conversationId":"ws","sequence":5,"usage":null,"timestamp":"{{Time(4)}}"}""",
            $$"""{"type":"stream_start","id":"{{Id(5)}}","conversationId":"ws","sequence":6,"timestamp":"{{Time(5)}}"}""",
            $$"""{"type":"error","id":"{{Id(6)}}","code":"response_failed","error":"boom"}""",
        }));
        Assert.That(messages[1].GetProperty("content").GetString(), Is.EqualTo("Hel\r\n\0😀"));
    }

    [Test]
    public async Task A_position_from_another_epoch_is_sequence_not_retained_then_a_normal_close()
    {
        await using TestApp app = await TestApp.StartAsync();
        app.Store.Publish(ChatStreamingEvent.Started(Conversation));

        using WsClient client = await WsClient.ConnectAsync(app, Conversation, "older-epoch:1");

        Assert.That((await client.ReceiveAsync())?.Type(), Is.EqualTo("connected"));
        JsonElement error = (await client.ReceiveAsync())!.Value;
        Assert.That(error.GetProperty("code").GetString(), Is.EqualTo("sequence_not_retained"));
        Assert.That(error.GetProperty("id").ValueKind, Is.EqualTo(JsonValueKind.Null));
        Assert.That(error.GetProperty("error").GetString(), Does.Contain("another epoch"));
        Assert.That(await client.ReceiveCloseAsync(), Is.EqualTo(WebSocketCloseStatus.NormalClosure));
    }

    [Test]
    public async Task A_position_from_a_previous_store_is_sequence_not_retained_even_when_the_new_stream_is_longer_and_no_event_is_sent()
    {
        // A new process: a new store, whose stream of the same conversation is longer than the old position.
        (TestApp after, string oldPosition) = await TestApp.StartAfterRestartAsync(Conversation);
        await using TestApp _ = after;

        using WsClient client = await WsClient.ConnectAsync(after, Conversation, oldPosition);

        Assert.That((await client.ReceiveAsync())?.Type(), Is.EqualTo("connected"));
        JsonElement error = (await client.ReceiveAsync())!.Value;
        Assert.That(error.Type(), Is.EqualTo("error"), "never an event of the new stream");
        Assert.That(error.GetProperty("code").GetString(), Is.EqualTo("sequence_not_retained"));
        Assert.That(error.GetProperty("error").GetString(), Does.Contain("another epoch"));
        Assert.That(await client.ReceiveCloseAsync(), Is.EqualTo(WebSocketCloseStatus.NormalClosure));
    }

    [Test]
    public async Task A_position_ahead_of_the_stream_is_sequence_not_retained_then_a_normal_close()
    {
        await using TestApp app = await TestApp.StartAsync();
        ChatStreamingEvent started = app.Store.Publish(ChatStreamingEvent.Started(Conversation));

        using WsClient client = await WsClient.ConnectAsync(app, Conversation, new ChatStreamPosition(started.Epoch!, 5).ToString());

        Assert.That((await client.ReceiveAsync())?.Type(), Is.EqualTo("connected"));
        JsonElement error = (await client.ReceiveAsync())!.Value;
        Assert.That(error.GetProperty("code").GetString(), Is.EqualTo("sequence_not_retained"));
        Assert.That(error.GetProperty("error").GetString(), Does.Contain("ahead of the stream"));
        Assert.That(await client.ReceiveCloseAsync(), Is.EqualTo(WebSocketCloseStatus.NormalClosure));
    }

    [Test]
    public async Task An_empty_lastEventId_counts_as_absent()
    {
        await using TestApp app = await TestApp.StartAsync();
        ChatStreamingEvent started = app.Store.Publish(ChatStreamingEvent.Started(Conversation));

        using WsClient client = await WsClient.ConnectAsync(app, Conversation, string.Empty);

        Assert.That((await client.ReceiveAsync())?.Type(), Is.EqualTo("connected"));
        JsonElement first = (await client.ReceiveAsync())!.Value;
        Assert.That((first.Type(), first.GetProperty("id").GetString()), Is.EqualTo(("stream_start", started.Position.ToString())));
    }

    [Test]
    public async Task A_malformed_lastEventId_is_bad_request_then_a_normal_close()
    {
        await using TestApp app = await TestApp.StartAsync();

        using WsClient client = await WsClient.ConnectAsync(app, Conversation, "not a position");

        Assert.That((await client.ReceiveAsync())?.Type(), Is.EqualTo("connected"));
        JsonElement error = (await client.ReceiveAsync())!.Value;
        Assert.That(error.GetProperty("code").GetString(), Is.EqualTo("bad_request"));
        Assert.That(error.GetProperty("error").GetString(), Does.Contain("lastEventId"));
        Assert.That(await client.ReceiveCloseAsync(), Is.EqualTo(WebSocketCloseStatus.NormalClosure));
        Assert.That(app.Store.Subscribed.Value, Is.Zero);
    }

    [Test]
    public async Task Too_many_subscribers_is_an_error_then_close_1008()
    {
        await using TestApp app = await TestApp.StartAsync(store => store.MaxSubscribersPerConversation = 1);
        app.Store.Publish(ChatStreamingEvent.Started(Conversation));
        using WsClient first = await WsClient.ConnectAsync(app, Conversation);
        await app.Store.Subscribed.WaitForAsync(1);

        using WsClient second = await WsClient.ConnectAsync(app, Conversation);

        Assert.That((await second.ReceiveAsync())?.Type(), Is.EqualTo("connected"));
        Assert.That((await second.ReceiveAsync())?.GetProperty("code").GetString(), Is.EqualTo("too_many_subscribers"));
        Assert.That(await second.ReceiveCloseAsync(), Is.EqualTo(WebSocketCloseStatus.PolicyViolation));
    }

    [TestCase("a%01b")]
    [TestCase("%7F")]
    public async Task An_invalid_conversation_id_is_a_400_on_the_upgrade(string escapedId)
    {
        await using TestApp app = await TestApp.StartAsync();
        using var socket = new ClientWebSocket();
        socket.Options.CollectHttpResponseDetails = true;

        await Assert.ThrowsAsync<WebSocketException>(() => socket.ConnectAsync(new Uri($"ws://{app.Address.Authority}/chat/{escapedId}/ws"), TestGuard.Token));

        Assert.That(socket.HttpStatusCode, Is.EqualTo(HttpStatusCode.BadRequest));
    }

    [Test]
    public async Task An_over_long_conversation_id_is_a_400_on_the_upgrade()
    {
        await using TestApp app = await TestApp.StartAsync();
        using var socket = new ClientWebSocket();
        socket.Options.CollectHttpResponseDetails = true;

        await Assert.ThrowsAsync<WebSocketException>(() => socket.ConnectAsync(WsClient.Uri(app, new string('c', 257)), TestGuard.Token));

        Assert.That(socket.HttpStatusCode, Is.EqualTo(HttpStatusCode.BadRequest));
    }

    [Test]
    public async Task A_plain_GET_is_400_with_problem_details()
    {
        await using TestApp app = await TestApp.StartAsync();

        using HttpResponseMessage response = await app.Client.GetAsync($"/chat/{Conversation}/ws", TestGuard.Token);

        await ServerSentEvents.SseBadInputTests.AssertProblemAsync(response, HttpStatusCode.BadRequest, "WebSocket");
    }

    private static async Task<List<JsonElement>> ReadResumedAsync(TestApp app, string lastEventId)
    {
        using WsClient client = await WsClient.ConnectAsync(app, Conversation, lastEventId);
        Assert.That((await client.ReceiveAsync())?.Type(), Is.EqualTo("connected"));
        List<JsonElement> messages = await client.ReceiveThroughAsync("stream_complete");
        await client.Socket.CloseAsync(WebSocketCloseStatus.NormalClosure, null, TestGuard.Token).Guarded();
        return messages;
    }
}
