using System.Net;
using System.Text.Json;
using NUnit.Framework;
using StreamingCore.AspNetCore.Tests.Support;

namespace StreamingCore.AspNetCore.Tests.ServerSentEvents;

public class SseBadInputTests
{
    private const string Conversation = "bad";

    [TestCase("abc")]
    [TestCase("e:")]
    [TestCase(":5")]
    [TestCase("e:-1")]
    [TestCase("e:01")]
    [TestCase("e:1x")]
    [TestCase("e!:1")]
    [TestCase("e:99999999999999999999")]
    [TestCase("7")]
    public async Task A_malformed_Last_Event_ID_is_400_naming_the_header(string lastEventId)
    {
        await using TestApp app = await TestApp.StartAsync();
        app.Store.Publish(ChatStreamingEvent.Started(Conversation));
        using var request = new HttpRequestMessage(HttpMethod.Get, TestApp.EventsPath(Conversation));
        request.Headers.TryAddWithoutValidation("Last-Event-ID", lastEventId);

        using HttpResponseMessage response = await app.Client.SendAsync(request, TestGuard.Token);

        await AssertProblemAsync(response, HttpStatusCode.BadRequest, "Last-Event-ID");
        Assert.That(app.Store.Subscribed.Value, Is.Zero, "refused before subscribing");
    }

    [TestCase("abc")]
    [TestCase("e:1%00")]
    [TestCase("e:1%0Aid:%20x")]
    [TestCase("e%20:1")]
    public async Task A_malformed_lastEventId_query_parameter_is_400_naming_it(string escapedValue)
    {
        await using TestApp app = await TestApp.StartAsync();

        using HttpResponseMessage response = await app.Client.GetAsync($"{TestApp.EventsPath(Conversation)}?lastEventId={escapedValue}", TestGuard.Token);

        await AssertProblemAsync(response, HttpStatusCode.BadRequest, "lastEventId");
    }

    [Test]
    public async Task A_long_position_is_400()
    {
        await using TestApp app = await TestApp.StartAsync();

        using HttpResponseMessage response = await app.Client.GetAsync($"{TestApp.EventsPath(Conversation)}?lastEventId={new string('e', 60)}:12345", TestGuard.Token);

        await AssertProblemAsync(response, HttpStatusCode.BadRequest, "lastEventId");
    }

    [Test]
    public async Task An_empty_Last_Event_ID_or_lastEventId_counts_as_absent()
    {
        await using TestApp app = await TestApp.StartAsync();
        app.Store.Publish(ChatStreamingEvent.Started(Conversation));
        app.Store.Publish(ChatStreamingEvent.Finished(Conversation));

        using SseStream emptyHeader = await SseStream.OpenAsync(app.Client, $"{TestApp.EventsPath(Conversation)}?lastEventId=", lastEventId: string.Empty);

        Assert.That(emptyHeader.Response.StatusCode, Is.EqualTo(HttpStatusCode.OK));
        Assert.That((await emptyHeader.ReadThroughAsync("finished")).Select(e => e.Sequence), Is.EqualTo(new long[] { 1, 2 }));
    }

    [Test]
    public async Task An_empty_Last_Event_ID_header_falls_back_to_the_lastEventId_query_parameter()
    {
        await using TestApp app = await TestApp.StartAsync();
        ChatStreamingEvent started = app.Store.Publish(ChatStreamingEvent.Started(Conversation));
        app.Store.Publish(ChatStreamingEvent.Delta(Conversation, "a"));
        app.Store.Publish(ChatStreamingEvent.Finished(Conversation));

        // Raw HTTP, so that the empty header is certainly on the wire.
        using var tcp = new System.Net.Sockets.TcpClient();
        await tcp.ConnectAsync(app.Address.Host, app.Address.Port, TestGuard.Token);
        using var stream = tcp.GetStream();
        string request = $"GET {TestApp.EventsPath(Conversation)}?lastEventId={Uri.EscapeDataString(started.Position.ToString())} HTTP/1.1\r\n"
            + $"Host: {app.Address.Authority}\r\nLast-Event-ID: \r\nConnection: close\r\n\r\n";
        await stream.WriteAsync(System.Text.Encoding.ASCII.GetBytes(request), TestGuard.Token);
        using var reader = new StreamReader(stream);
        string? status = await reader.ReadLineAsync(TestGuard.Token).AsTask().Guarded();
        List<string> lines = [];
        while (await reader.ReadLineAsync(TestGuard.Token).AsTask().Guarded() is { } line && !line.StartsWith("event: finished", StringComparison.Ordinal))
        {
            lines.Add(line);
        }

        Assert.That(status, Is.EqualTo("HTTP/1.1 200 OK"));
        Assert.That(lines, Has.None.EqualTo("event: started"), "resumed after the query's position, not from the start");
        Assert.That(lines, Has.Some.EqualTo("event: delta"));
    }

    [Test]
    public async Task An_over_long_conversation_id_is_400_and_256_characters_are_accepted()
    {
        await using TestApp app = await TestApp.StartAsync();
        string longest = new('c', 256);
        app.Store.Publish(ChatStreamingEvent.Started(longest));

        using HttpResponseMessage tooLong = await app.Client.GetAsync(TestApp.EventsPath(new string('c', 257)), TestGuard.Token);
        using SseStream accepted = await SseStream.OpenAsync(app.Client, TestApp.EventsPath(longest));

        await AssertProblemAsync(tooLong, HttpStatusCode.BadRequest, "at most 256 characters");
        Assert.That(accepted.Response.StatusCode, Is.EqualTo(HttpStatusCode.OK));
    }

    [TestCase("a%01b")]
    [TestCase("a%0Ab")]
    [TestCase("%7F")]
    public async Task A_conversation_id_with_a_control_character_is_400(string escapedId)
    {
        await using TestApp app = await TestApp.StartAsync();

        using HttpResponseMessage response = await app.Client.GetAsync($"/chat/{escapedId}/events", TestGuard.Token);

        await AssertProblemAsync(response, HttpStatusCode.BadRequest, "control characters");
    }

    [Test]
    public async Task Too_many_subscribers_is_429_and_the_subscriber_already_there_is_unaffected()
    {
        await using TestApp app = await TestApp.StartAsync(store => store.MaxSubscribersPerConversation = 1);
        app.Store.Publish(ChatStreamingEvent.Started(Conversation));
        using SseStream first = await SseStream.OpenAsync(app.Client, TestApp.EventsPath(Conversation));

        using HttpResponseMessage second = await app.Client.GetAsync(TestApp.EventsPath(Conversation), TestGuard.Token);
        app.Store.Publish(ChatStreamingEvent.Delta(Conversation, "still here"));
        app.Store.Publish(ChatStreamingEvent.Finished(Conversation));

        await AssertProblemAsync(second, (HttpStatusCode)429, "MaxSubscribersPerConversation");
        Assert.That(string.Concat((await first.ReadThroughAsync("finished")).Where(e => e.Type == "delta").Select(e => e.Text)), Is.EqualTo("still here"));
    }

    internal static async Task AssertProblemAsync(HttpResponseMessage response, HttpStatusCode status, string detailContains)
    {
        string body = await response.Content.ReadAsStringAsync(TestGuard.Token);
        Assert.Multiple(() =>
        {
            Assert.That(response.StatusCode, Is.EqualTo(status), body);
            Assert.That(response.Content.Headers.ContentType?.MediaType, Is.EqualTo("application/problem+json"));
        });
        using JsonDocument problem = JsonDocument.Parse(body);
        Assert.That(problem.RootElement.GetProperty("status").GetInt32(), Is.EqualTo((int)status));
        Assert.That(problem.RootElement.GetProperty("detail").GetString(), Does.Contain(detailContains));
    }
}
