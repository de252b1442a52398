using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using StreamingCore.AspNetCore;

namespace StreamingCore.AspNetCore.Tests.Support;

/// <summary>
/// A real Kestrel app on 127.0.0.1, port 0, with the real store behind an <see cref="ObservedStore"/> and an
/// <see cref="ObservedTimeProvider"/> for the store, heartbeats and connection durations.
/// </summary>
internal sealed class TestApp : IAsyncDisposable
{
    public const string EventsRoute = "/chat/{conversationId}/events";
    public const string WebSocketRoute = "/chat/{conversationId}/ws";

    /// <summary>The heartbeat interval of every test app unless a test sets another (distinct from the store's timers).</summary>
    public static readonly TimeSpan Heartbeat = TimeSpan.FromSeconds(7);

    private readonly WebApplication _app;

    private TestApp(WebApplication app, ObservedStore store, ObservedTimeProvider time, Uri address)
    {
        _app = app;
        Store = store;
        Time = time;
        Address = address;
        Client = new HttpClient { BaseAddress = address };
    }

    public ObservedStore Store { get; }

    public ObservedTimeProvider Time { get; }

    public Uri Address { get; }

    public HttpClient Client { get; }

    public IServiceProvider Services => _app.Services;

    public static async Task<TestApp> StartAsync(
        Action<ChatStreamingOptions>? store = null,
        Action<ChatStreamingHttpOptions>? http = null,
        Action<IServiceCollection>? services = null,
        Action<WebApplication>? map = null)
    {
        WebApplicationBuilder builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();

        var time = new ObservedTimeProvider();
        var storeOptions = new ChatStreamingOptions();
        store?.Invoke(storeOptions);
        var observed = new ObservedStore(new DefaultChatStreamingStore(storeOptions, time));

        builder.Services.AddSingleton<TimeProvider>(time);
        builder.Services.AddSingleton<IChatStreamingStore>(observed);
        builder.Services.Configure<ChatStreamingHttpOptions>(o =>
        {
            o.HeartbeatInterval = Heartbeat;
            http?.Invoke(o);
        });
        services?.Invoke(builder.Services);

        WebApplication app = builder.Build();
        app.Urls.Add("http://127.0.0.1:0");
        app.UseWebSockets();
        try
        {
            if (map is null)
            {
                app.MapChatStreamingEvents(EventsRoute);
                app.MapChatStreamingWebSocket(WebSocketRoute);
            }
            else
            {
                map(app);
            }

            await app.StartAsync(TestGuard.Token);
        }
        catch
        {
            await app.DisposeAsync();
            observed.Inner.Dispose();
            throw;
        }

        string address = app.Services.GetRequiredService<IServer>().Features.GetRequiredFeature<IServerAddressesFeature>().Addresses.Single();
        return new TestApp(app, observed, time, new Uri(address));
    }

    public static string EventsPath(string conversationId) => $"/chat/{Uri.EscapeDataString(conversationId)}/events";

    /// <summary>
    /// A restart: the position of an event published by a first app (a first process), and a second app whose store has a
    /// longer stream of the same conversation, so that the old sequence exists in it too and only the epoch tells them apart.
    /// </summary>
    public static async Task<(TestApp After, string OldPosition)> StartAfterRestartAsync(string conversationId)
    {
        string oldPosition;
        await using (TestApp before = await StartAsync())
        {
            before.Store.Publish(ChatStreamingEvent.Started(conversationId));
            oldPosition = before.Store.Publish(ChatStreamingEvent.Delta(conversationId, "old")).Position.ToString();
        }

        TestApp after = await StartAsync();
        after.Store.Publish(ChatStreamingEvent.Started(conversationId));
        for (int i = 0; i < 10; i++)
        {
            after.Store.Publish(ChatStreamingEvent.Delta(conversationId, "new"));
        }

        return (after, oldPosition);
    }

    /// <summary>Fires <c>IHostApplicationLifetime.ApplicationStopping</c> without waiting for the requests.</summary>
    public void StopApplication() => _app.Services.GetRequiredService<IHostApplicationLifetime>().StopApplication();

    public async ValueTask DisposeAsync()
    {
        Client.Dispose();
        await _app.StopAsync(TestGuard.Token);
        await _app.DisposeAsync();
        Store.Inner.Dispose();
    }
}
