using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using StreamingCore.AspNetCore;

namespace StreamingCore.Redis.Tests.Transports;

/// <summary>
/// One app instance: a real Kestrel app on 127.0.0.1, port 0, with <c>AddChatStreaming().AddRedis(...)</c> and the SSE and
/// WebSocket endpoints mapped as an application would.
/// </summary>
internal sealed class RedisWebApp : IAsyncDisposable
{
    public const string EventsRoute = "/chat/{conversationId}/events";
    public const string WebSocketRoute = "/chat/{conversationId}/ws";

    private readonly WebApplication _app;
    private int _disposed;

    private RedisWebApp(WebApplication app, Uri address)
    {
        _app = app;
        Address = address;
    }

    public Uri Address { get; }

    public IServiceProvider Services => _app.Services;

    public static async Task<RedisWebApp> StartAsync(string redisConfiguration, string keyPrefix)
    {
        WebApplicationBuilder builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.Services.AddChatStreaming().AddRedis(redisConfiguration, o => o.KeyPrefix = keyPrefix);

        // A client that loses this instance reconnects (elsewhere) at once.
        builder.Services.Configure<ChatStreamingHttpOptions>(o => o.ReconnectionDelay = TimeSpan.FromMilliseconds(1));

        WebApplication app = builder.Build();
        app.Urls.Add("http://127.0.0.1:0");
        app.UseWebSockets();
        app.MapChatStreamingEvents(EventsRoute);
        app.MapChatStreamingWebSocket(WebSocketRoute);
        try
        {
            await app.StartAsync(TestGuard.Token);
        }
        catch
        {
            await app.DisposeAsync();
            throw;
        }

        string address = app.Services.GetRequiredService<IServer>().Features.GetRequiredFeature<IServerAddressesFeature>().Addresses.Single();
        return new RedisWebApp(app, new Uri(address));
    }

    public static string EventsPath(string conversationId) => $"/chat/{Uri.EscapeDataString(conversationId)}/events";

    public Uri WebSocketUri(string conversationId, string? lastEventId = null)
    {
        string query = lastEventId is null ? string.Empty : $"?lastEventId={Uri.EscapeDataString(lastEventId)}";
        return new Uri($"ws://{Address.Authority}/chat/{Uri.EscapeDataString(conversationId)}/ws{query}");
    }

    /// <summary>Stops the app (its connections end) and disposes it, its store and the store's multiplexer. Runs once.</summary>
    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
        {
            return;
        }

        await _app.StopAsync(TestGuard.Token);
        await _app.DisposeAsync();
    }
}
