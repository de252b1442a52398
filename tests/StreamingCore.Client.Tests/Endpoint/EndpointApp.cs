using System.Collections.Concurrent;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Time.Testing;
using StreamingCore.AspNetCore;
using StreamingCore.Client.Tests.Support;

namespace StreamingCore.Client.Tests.Endpoint;

/// <summary>
/// A real Kestrel app on 127.0.0.1 (a free port) with the real store and <c>MapChatStreamingEvents</c>, all on one
/// <see cref="FakeTimeProvider"/> registered in its container (the store's retention and idle timers, heartbeats and
/// <see cref="ChatStreamingHttpOptions.MaxConnectionDuration"/>). It records the <c>Last-Event-ID</c> of every request.
/// </summary>
internal sealed class EndpointApp : IAsyncDisposable
{
    public const string Route = "/conversations/{conversationId}/events";

    private readonly WebApplication _app;

    private EndpointApp(WebApplication app, FakeTimeProvider time, Uri address)
    {
        _app = app;
        Time = time;
        Address = address;
    }

    /// <summary>Gets the server's clock: advancing it past MaxConnectionDuration ends every open stream.</summary>
    public FakeTimeProvider Time { get; }

    public Uri Address { get; }

    public IChatStreamingStore Store => _app.Services.GetRequiredService<IChatStreamingStore>();

    /// <summary>Gets the Last-Event-ID of each request, in arrival order (empty when there was none).</summary>
    public ConcurrentQueue<string> LastEventIds { get; } = new();

    public static async Task<EndpointApp> StartAsync(Action<ChatStreamingHttpOptions>? http = null, Action<ChatStreamingOptions>? store = null)
    {
        WebApplicationBuilder builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        var time = new FakeTimeProvider();
        builder.Services.AddSingleton<TimeProvider>(time);
        builder.Services.AddChatStreaming(store);
        builder.Services.Configure<ChatStreamingHttpOptions>(o => http?.Invoke(o));
        WebApplication app = builder.Build();
        app.Urls.Add("http://127.0.0.1:0");

        EndpointApp? endpoint = null;
        app.Use((context, next) =>
        {
            endpoint!.LastEventIds.Enqueue(context.Request.Headers["Last-Event-ID"].ToString());
            return next(context);
        });
        app.MapChatStreamingEvents(Route);
        await app.StartAsync(TestGuard.Token);
        string address = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.Single();
        endpoint = new EndpointApp(app, time, new Uri(address + "/"));
        return endpoint;
    }

    public static string EventsPath(string conversationId) => $"conversations/{Uri.EscapeDataString(conversationId)}/events";

    public HttpClient CreateHttpClient() => new() { BaseAddress = Address };

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync(TestGuard.Token);
        await _app.DisposeAsync();
    }
}
