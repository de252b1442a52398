using Microsoft.Extensions.DependencyInjection;
using NUnit.Framework;
using StreamingCore.Client.Tests.Support;

namespace StreamingCore.Client.Tests.DependencyInjection;

/// <summary>ChatStreamingClient is an IHttpClientFactory typed client: services.AddHttpClient&lt;ChatStreamingClient&gt;(...).</summary>
public class TypedClientTests : ScriptedServerTest
{
    [Test]
    public async Task AddHttpClient_creates_a_client_that_streams_from_its_base_address()
    {
        var services = new ServiceCollection();
        services.AddHttpClient<ChatStreamingClient>(http => http.BaseAddress = Server.Address);
        await using ServiceProvider provider = services.BuildServiceProvider();
        ChatStreamingClient client = provider.GetRequiredService<ChatStreamingClient>();

        ChatStreamingEvent[] sent = Sse.Response(3);
        await using IAsyncEnumerator<ChatStreamingEvent> events = client.StreamAsync(EventsPath).GetAsyncEnumerator();
        Task<List<ChatStreamingEvent>> reading = NextAsync(events, 3);
        ScriptedExchange request = await Server.NextRequestAsync();
        await request.StartEventStreamAsync(Sse.Frames(sent));

        Assert.Multiple(async () =>
        {
            Assert.That(request.PathAndQuery, Is.EqualTo("/" + EventsPath));
            Assert.That(await reading, Is.EqualTo(sent));
        });
    }

    [Test]
    public async Task Options_registered_in_the_container_are_used()
    {
        var services = new ServiceCollection();
        services.AddSingleton(new ChatStreamingClientOptions { TimeProvider = Time, MaxReconnectionDelay = TimeSpan.FromMilliseconds(250) });
        services.AddHttpClient<ChatStreamingClient>(http => http.BaseAddress = Server.Address);
        await using ServiceProvider provider = services.BuildServiceProvider();
        ChatStreamingClient client = provider.GetRequiredService<ChatStreamingClient>();

        await using IAsyncEnumerator<ChatStreamingEvent> events = client.StreamAsync(EventsPath).GetAsyncEnumerator();
        ValueTask<bool> first = events.MoveNextAsync();
        await (await Server.NextRequestAsync()).RespondProblemAsync(503, "busy");

        await Time.PassReconnectionDelayAsync(TimeSpan.FromMilliseconds(250)); // the container's clock and cap
        ScriptedExchange second = await Server.NextRequestAsync();
        await second.StartEventStreamAsync(Sse.Frame(Sse.Event(1, ChatStreamingEventKind.Started)));
        Assert.That(await first.Guarded(), Is.True);
    }
}
