using System.Net;
using System.Net.ServerSentEvents;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.TestHost;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using NUnit.Framework;
using StreamingCore.AspNetCore.Tests.Support;

namespace StreamingCore.AspNetCore.Tests.InMemory;

/// <summary>
/// The endpoints under <see cref="TestServer"/>, as an app's own integration tests (WebApplicationFactory) host them, and
/// wired the way an app wires them: <c>AddChatStreaming</c> with the container's <see cref="TimeProvider"/>.
/// </summary>
public class TestServerTests
{
    private const string Conversation = "in-memory";

    [Test]
    public async Task An_in_memory_server_streams_resumes_and_refuses_like_Kestrel()
    {
        WebApplicationBuilder builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.UseTestServer();
        var time = new ObservedTimeProvider();
        builder.Services.AddSingleton<TimeProvider>(time);
        builder.Services.AddChatStreaming();
        await using WebApplication app = builder.Build();
        app.MapChatStreamingEvents(TestApp.EventsRoute);
        await app.StartAsync(TestGuard.Token);
        IChatStreamingStore store = app.Services.GetRequiredService<IChatStreamingStore>();
        using HttpClient client = app.GetTestClient();

        ChatStreamingEvent started = store.Publish(ChatStreamingEvent.Started(Conversation));
        store.Publish(ChatStreamingEvent.Delta(Conversation, "in memory"));
        store.Publish(ChatStreamingEvent.Finished(Conversation));
        using var request = new HttpRequestMessage(HttpMethod.Get, TestApp.EventsPath(Conversation));
        request.Headers.Add("Last-Event-ID", started.Position.ToString());
        using HttpResponseMessage response = await client.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, TestGuard.Token);
        await using Stream body = await response.Content.ReadAsStreamAsync(TestGuard.Token);
        List<SseItem<string>> items = [];
        await foreach (SseItem<string> item in SseParser.Create(body).EnumerateAsync(TestGuard.Token))
        {
            items.Add(item);
            if (item.EventType == "finished")
            {
                break;
            }
        }

        using HttpResponseMessage ahead = await client.GetAsync($"{TestApp.EventsPath(Conversation)}?lastEventId={started.Epoch}:9", TestGuard.Token);

        Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.OK));
        Assert.That(items.Select(i => i.EventType), Is.EqualTo(new[] { "delta", "finished" }));
        // The store took the container's clock (its ticks end in 1234567, so "O" is what System.Text.Json writes).
        Assert.That(items[0].Data, Does.Contain("\"text\":\"in memory\"").And.Contain($"\"timestamp\":\"{time.GetUtcNow():O}\""));
        Assert.That(ahead.StatusCode, Is.EqualTo(HttpStatusCode.Gone));
    }
}
