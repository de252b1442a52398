using System.Net;
using System.Net.Http.Json;
using System.Net.WebSockets;
using System.Text;
using System.Text.Json;
using Microsoft.Extensions.Time.Testing;
using NUnit.Framework;
using StreamingCore.WebSample.Tests.Support;

namespace StreamingCore.WebSample.Tests.Endpoints;

/// <summary>The sample's routes, without a browser: the message POST and its statuses, the SSE and WebSocket endpoints.</summary>
public class EndpointsTests
{
    private static readonly Dictionary<string, string> Settings = new()
    {
        ["WebSample:FirstTokenDelay"] = "00:00:01",
        ["WebSample:TokenDelay"] = "00:00:01",
    };

    [Test]
    public async Task A_message_is_accepted_and_a_second_one_is_refused_while_the_answer_streams()
    {
        await using SampleServer server = await SampleServer.StartAsync(new FakeTimeProvider(), Settings);
        using var http = new HttpClient { BaseAddress = server.Address };

        HttpResponseMessage accepted = await http.PostAsJsonAsync("api/conversations/c1/messages", new { text = "hello" }, TestGuard.Token);
        HttpResponseMessage conflict = await http.PostAsJsonAsync("api/conversations/c1/messages", new { text = "again" }, TestGuard.Token);
        HttpResponseMessage empty = await http.PostAsJsonAsync("api/conversations/c2/messages", new { text = " " }, TestGuard.Token);

        using JsonDocument body = JsonDocument.Parse(await accepted.Content.ReadAsStringAsync(TestGuard.Token));
        Assert.Multiple(async () =>
        {
            Assert.That(accepted.StatusCode, Is.EqualTo(HttpStatusCode.Accepted));
            Assert.That(accepted.Headers.Location?.ToString(), Is.EqualTo("/api/conversations/c1/events"));
            Assert.That(body.RootElement.GetProperty("started").GetString(), Does.EndWith(":1"));
            Assert.That(conflict.StatusCode, Is.EqualTo(HttpStatusCode.Conflict));
            Assert.That(conflict.Content.Headers.ContentType?.MediaType, Is.EqualTo("application/problem+json"));
            Assert.That(await conflict.Content.ReadAsStringAsync(TestGuard.Token), Does.Contain("still answering"));
            Assert.That(empty.StatusCode, Is.EqualTo(HttpStatusCode.BadRequest));
        });
    }

    [Test]
    public async Task The_WebSocket_endpoint_streams_the_answer()
    {
        var time = new FakeTimeProvider();
        await using SampleServer server = await SampleServer.StartAsync(time, Settings);
        using var http = new HttpClient { BaseAddress = server.Address };
        (await http.PostAsJsonAsync("api/conversations/c1/messages", new { text = "hello" }, TestGuard.Token)).EnsureSuccessStatusCode();

        using var socket = new ClientWebSocket();
        await socket.ConnectAsync(new Uri($"ws://{server.Address.Authority}/api/conversations/c1/ws"), TestGuard.Token);
        Assert.That(await ReceiveTypeAsync(socket), Is.EqualTo("connected"));
        Assert.That(await ReceiveTypeAsync(socket), Is.EqualTo("stream_start"));
        time.Advance(TimeSpan.FromSeconds(1));
        Assert.That(await ReceiveTypeAsync(socket), Is.EqualTo("stream_chunk"));
    }

    private static async Task<string?> ReceiveTypeAsync(ClientWebSocket socket)
    {
        var buffer = new byte[16 * 1024];
        WebSocketReceiveResult result = await socket.ReceiveAsync(buffer, TestGuard.Token);
        using JsonDocument message = JsonDocument.Parse(Encoding.UTF8.GetString(buffer, 0, result.Count));
        return message.RootElement.GetProperty("type").GetString();
    }
}
