using System.Net.WebSockets;
using NUnit.Framework;
using StreamingCore.AspNetCore.Tests.Support;

namespace StreamingCore.AspNetCore.Tests.WebSockets;

public class WebSocketLifetimeTests
{
    private const string Conversation = "ws-lifetime";
    private static readonly TimeSpan Duration = TimeSpan.FromSeconds(13);

    [Test]
    public async Task MaxConnectionDuration_closes_with_1000_and_the_client_resumes_exactly()
    {
        await using TestApp app = await TestApp.StartAsync(http: o => o.MaxConnectionDuration = Duration);
        app.Store.Publish(ChatStreamingEvent.Started(Conversation));
        using WsClient first = await WsClient.ConnectAsync(app, Conversation);
        Assert.That((await first.ReceiveAsync())?.Type(), Is.EqualTo("connected"));
        string lastId = (await first.ReceiveAsync())!.Value.GetProperty("id").GetString()!;

        await app.Time.WaitForTimersAsync(Duration);
        app.Time.Advance(Duration);
        Assert.That(await first.ReceiveCloseAsync(), Is.EqualTo(WebSocketCloseStatus.NormalClosure));
        app.Store.Publish(ChatStreamingEvent.Delta(Conversation, "later"));
        app.Store.Publish(ChatStreamingEvent.Finished(Conversation));
        using WsClient second = await WsClient.ConnectAsync(app, Conversation, lastId);

        Assert.That((await second.ReceiveThroughAsync("stream_complete")).Skip(1).Select(m => m.Sequence()), Is.EqualTo(new long[] { 2, 3 }));
    }

    [Test]
    public async Task The_app_stopping_closes_with_1001()
    {
        await using TestApp app = await TestApp.StartAsync();
        using WsClient client = await WsClient.ConnectAsync(app, Conversation);
        Assert.That((await client.ReceiveAsync())?.Type(), Is.EqualTo("connected"));
        await app.Store.Subscribed.WaitForAsync(1);

        app.StopApplication();

        Assert.That(await client.ReceiveCloseAsync(), Is.EqualTo(WebSocketCloseStatus.EndpointUnavailable));
        await app.Store.Released.WaitForAsync(1);
    }

    [Test]
    public async Task A_client_close_completes_the_handshake_and_releases_the_subscription()
    {
        await using TestApp app = await TestApp.StartAsync();
        using WsClient client = await WsClient.ConnectAsync(app, Conversation);
        Assert.That((await client.ReceiveAsync())?.Type(), Is.EqualTo("connected"));
        await app.Store.Subscribed.WaitForAsync(1);

        await client.Socket.CloseAsync(WebSocketCloseStatus.NormalClosure, "bye", TestGuard.Token).Guarded();

        Assert.That(client.Socket.State, Is.EqualTo(WebSocketState.Closed));
        Assert.That(client.Socket.CloseStatus, Is.EqualTo(WebSocketCloseStatus.NormalClosure));
        await app.Store.Released.WaitForAsync(1);
    }

    [Test]
    public async Task A_client_that_aborts_releases_its_subscription_and_another_client_gets_the_exact_text()
    {
        await using TestApp app = await TestApp.StartAsync();
        app.Store.Publish(ChatStreamingEvent.Started(Conversation));
        using WsClient staying = await WsClient.ConnectAsync(app, Conversation);
        using (WsClient leaving = await WsClient.ConnectAsync(app, Conversation))
        {
            await app.Store.Subscribed.WaitForAsync(2);
            app.Store.Publish(ChatStreamingEvent.Delta(Conversation, new string('z', 100_000)));
            leaving.Socket.Abort();
        }

        await app.Store.Released.WaitForAsync(1);
        app.Store.Publish(ChatStreamingEvent.Delta(Conversation, "!"));
        app.Store.Publish(ChatStreamingEvent.Finished(Conversation));

        var text = string.Concat((await staying.ReceiveThroughAsync("stream_complete")).Where(m => m.Type() == "stream_chunk").Select(m => m.GetProperty("content").GetString()));
        Assert.That(text, Is.EqualTo(new string('z', 100_000) + "!"));
    }

    [Test]
    public async Task A_Reject_subscriber_that_falls_behind_gets_subscriber_overflow_then_1000_and_resumes_exactly()
    {
        await using TestApp app = await TestApp.StartAsync(store =>
        {
            store.SubscriberOverflow = OverflowStrategy.Reject;
            store.SubscriberCapacity = 4;
            store.MaxResponseLength = 16 * 1024 * 1024;
        });
        app.Store.Publish(ChatStreamingEvent.Started(Conversation));
        using WsClient stalled = await WsClient.ConnectAsync(app, Conversation);
        await app.Store.Subscribed.WaitForAsync(1);

        string expected = ServerSentEvents.Overflow.PublishText(app.Store, Conversation, deltas: 4_000);
        app.Store.Publish(ChatStreamingEvent.Finished(Conversation));

        List<System.Text.Json.JsonElement> before = await stalled.ReceiveThroughAsync("error");
        Assert.That(before[^1].GetProperty("code").GetString(), Is.EqualTo("subscriber_overflow"));
        Assert.That(await stalled.ReceiveCloseAsync(), Is.EqualTo(WebSocketCloseStatus.NormalClosure));
        string lastId = before[^2].GetProperty("id").GetString()!;
        using WsClient resumed = await WsClient.ConnectAsync(app, Conversation, lastId);
        List<System.Text.Json.JsonElement> after = (await resumed.ReceiveThroughAsync("stream_complete")).Skip(1).ToList();

        List<System.Text.Json.JsonElement> events = [.. before.Skip(1).SkipLast(1), .. after];
        Assert.That(events.Select(m => m.Sequence()), Is.EqualTo(Enumerable.Range(1, 4_002).Select(s => (long)s)));
        Assert.That(string.Concat(events.Where(m => m.Type() == "stream_chunk").Select(m => m.GetProperty("content").GetString())), Is.EqualTo(expected));
    }

    [Test]
    public async Task A_client_that_never_reads_slows_neither_the_producer_nor_another_client_is_cut_off_and_resumes_exactly()
    {
        await using TestApp app = await TestApp.StartAsync(store =>
        {
            store.SubscriberCapacity = 16;
            store.MaxResponseLength = 16 * 1024 * 1024;
        });
        app.Store.Publish(ChatStreamingEvent.Started(Conversation));
        using WsClient stalled = await WsClient.ConnectAsync(app, Conversation);
        using WsClient reader = await WsClient.ConnectAsync(app, Conversation);
        await app.Store.Subscribed.WaitForAsync(2);
        Task<(List<System.Text.Json.JsonElement> Events, int Resumes)> reading = ReadResumingAsync(app, reader);

        // 4 MB of text: far more than the socket buffers, so the stalled connection's sends block. Publish never waits.
        string expected = ServerSentEvents.Overflow.PublishText(app.Store, Conversation, deltas: 4_000);
        app.Store.Publish(ChatStreamingEvent.Finished(Conversation));
        (List<System.Text.Json.JsonElement> read, _) = await reading.Guarded();

        // The stalled client reads at last: what was queued, then subscriber_overflow and 1000; it resumes with its last id.
        (List<System.Text.Json.JsonElement> late, int resumes) = await ReadResumingAsync(app, stalled);

        Assert.That(Text(read), Is.EqualTo(expected), "the other client");
        Assert.That(Text(late), Is.EqualTo(expected), "coalesced, cut off, resumed: never lost");
        Assert.That(resumes, Is.GreaterThan(0), "a client that stopped reading does not hold the whole response");
        Assert.That(late.Select(m => m.Sequence()), Is.Ordered.Ascending.And.Unique);
        Assert.That(late[^1].Sequence(), Is.EqualTo(4_002));
    }

    // Reads the events through stream_complete, resuming with the last id after a subscriber_overflow error and its close.
    private static async Task<(List<System.Text.Json.JsonElement> Events, int Resumes)> ReadResumingAsync(TestApp app, WsClient first)
    {
        List<System.Text.Json.JsonElement> events = [];
        int resumes = 0;
        WsClient client = first;
        while (true)
        {
            while (await client.ReceiveAsync() is { } message)
            {
                string type = message.Type();
                if (type == "connected")
                {
                    continue;
                }

                if (type == "error")
                {
                    Assert.That(message.GetProperty("code").GetString(), Is.EqualTo("subscriber_overflow"));
                    Assert.That(await client.ReceiveCloseAsync(), Is.EqualTo(WebSocketCloseStatus.NormalClosure));
                    break;
                }

                events.Add(message);
                if (type == "stream_complete")
                {
                    if (client != first)
                    {
                        client.Dispose();
                    }

                    return (events, resumes);
                }
            }

            if (client != first)
            {
                client.Dispose();
            }

            resumes++;
            client = await WsClient.ConnectAsync(app, Conversation, events[^1].GetProperty("id").GetString());
        }
    }

    private static string Text(IEnumerable<System.Text.Json.JsonElement> messages)
        => string.Concat(messages.Where(m => m.Type() == "stream_chunk").Select(m => m.GetProperty("content").GetString()));
}
