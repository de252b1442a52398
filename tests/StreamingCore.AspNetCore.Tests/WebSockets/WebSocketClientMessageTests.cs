using System.Net.WebSockets;
using System.Text;
using NUnit.Framework;
using StreamingCore.AspNetCore.Tests.Support;

namespace StreamingCore.AspNetCore.Tests.WebSockets;

public class WebSocketClientMessageTests
{
    private const string Conversation = "client-messages";

    [Test]
    public async Task Ping_gets_pong()
    {
        await using TestApp app = await TestApp.StartAsync();
        using WsClient client = await ConnectedAsync(app);

        await client.SendAsync("""{"type":"ping"}""");

        Assert.That((await client.ReceiveAsync())?.ToString(), Is.EqualTo("""{"type":"pong"}"""));
    }

    [TestCase("not json")]
    [TestCase("{\"type\":\"pong\"}")]
    [TestCase("{\"type\":1}")]
    [TestCase("[\"ping\"]")]
    [TestCase("")]
    public async Task A_malformed_message_is_bad_request_and_the_connection_stays(string message)
    {
        await using TestApp app = await TestApp.StartAsync();
        using WsClient client = await ConnectedAsync(app);

        await client.SendAsync(message);
        var error = (await client.ReceiveAsync())!.Value;
        await client.SendAsync("""{"type":"ping"}""");

        Assert.That(error.Type(), Is.EqualTo("error"));
        Assert.That(error.GetProperty("code").GetString(), Is.EqualTo("bad_request"));
        Assert.That((await client.ReceiveAsync())?.Type(), Is.EqualTo("pong"));
    }

    [Test]
    public async Task A_binary_frame_is_bad_request_and_the_connection_stays()
    {
        await using TestApp app = await TestApp.StartAsync();
        using WsClient client = await ConnectedAsync(app);

        await client.SendAsync(Encoding.UTF8.GetBytes("""{"type":"ping"}"""), WebSocketMessageType.Binary);
        var error = (await client.ReceiveAsync())!.Value;
        await client.SendAsync("""{"type":"ping"}""");

        Assert.That(error.GetProperty("code").GetString(), Is.EqualTo("bad_request"));
        Assert.That(error.GetProperty("error").GetString(), Does.Contain("Binary"));
        Assert.That((await client.ReceiveAsync())?.Type(), Is.EqualTo("pong"));
    }

    [Test]
    public async Task Invalid_UTF8_in_a_text_frame_fails_the_connection_releases_the_subscription_and_the_next_one_works()
    {
        await using TestApp app = await TestApp.StartAsync();
        using WsClient client = await ConnectedAsync(app);
        await app.Store.Subscribed.WaitForAsync(1);

        // ClientWebSocket does not validate what it sends; the server's WebSocket does and fails the connection (RFC 6455,
        // 8.1: close 1007, then the TCP connection is dropped, so the client may see either).
        await client.SendAsync([(byte)'"', 0xC3, 0x28, (byte)'"'], WebSocketMessageType.Text);
        try
        {
            Assert.That(await client.ReceiveAsync(), Is.Null);
            Assert.That(client.Socket.CloseStatus, Is.EqualTo(WebSocketCloseStatus.InvalidPayloadData));
        }
        catch (WebSocketException ex) when (ex.WebSocketErrorCode == WebSocketError.ConnectionClosedPrematurely)
        {
        }

        await app.Store.Released.WaitForAsync(1);
        using WsClient next = await ConnectedAsync(app);
        await next.SendAsync("""{"type":"ping"}""");
        Assert.That((await next.ReceiveAsync())?.Type(), Is.EqualTo("pong"));
    }

    [Test]
    public async Task A_message_of_exactly_4096_bytes_is_accepted()
    {
        await using TestApp app = await TestApp.StartAsync();
        using WsClient client = await ConnectedAsync(app);
        const string Ping = """{"type":"ping"}""";
        string message = Ping + new string(' ', 4096 - Ping.Length);

        await client.SendAsync(message);

        Assert.That(Encoding.UTF8.GetByteCount(message), Is.EqualTo(4096));
        Assert.That((await client.ReceiveAsync())?.Type(), Is.EqualTo("pong"));
    }

    [Test]
    public async Task A_message_of_4097_bytes_with_multi_byte_characters_closes_with_1009()
    {
        await using TestApp app = await TestApp.StartAsync();
        using WsClient client = await ConnectedAsync(app);

        // Exactly one byte over: 2,050 characters but 4,097 bytes of UTF-8 (two quotes, an 'x', 2,047 two-byte 'é').
        string message = $"\"x{new string('é', 2047)}\"";
        Assert.That((message.Length, Encoding.UTF8.GetByteCount(message)), Is.EqualTo((2050, 4097)));

        await client.SendAsync(message);

        Assert.That(await client.ReceiveCloseAsync(), Is.EqualTo(WebSocketCloseStatus.MessageTooBig));
    }

    [Test]
    public async Task A_4_MiB_message_closes_with_1009()
    {
        await using TestApp app = await TestApp.StartAsync();
        using WsClient client = await ConnectedAsync(app);

        await client.SendAsync(new byte[4 * 1024 * 1024], WebSocketMessageType.Text);

        Assert.That(await client.ReceiveCloseAsync(), Is.EqualTo(WebSocketCloseStatus.MessageTooBig));
        await app.Store.Released.WaitForAsync(1);
    }

    private static async Task<WsClient> ConnectedAsync(TestApp app)
    {
        WsClient client = await WsClient.ConnectAsync(app, Conversation);
        Assert.That((await client.ReceiveAsync())?.Type(), Is.EqualTo("connected"));
        return client;
    }
}
