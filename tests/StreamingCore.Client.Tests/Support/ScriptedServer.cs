using System.Net;
using System.Threading.Channels;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace StreamingCore.Client.Tests.Support;

/// <summary>
/// A real Kestrel server on 127.0.0.1 (a free port) whose every request waits for the test to script its answer byte by byte
/// (<see cref="ScriptedExchange"/>): the precise cases a real endpoint never produces on demand, such as a <c>retry:</c> value,
/// a 5xx then a 200, a body that ends mid-event, a reset, or a replay from too early.
/// </summary>
internal sealed class ScriptedServer : IAsyncDisposable
{
    // The requests received and not yet taken by the test, in arrival order.
    private readonly Channel<ScriptedExchange> _requests = Channel.CreateUnbounded<ScriptedExchange>();

    // Every request received, so that disposal can end the ones still open.
    private readonly List<ScriptedExchange> _all = [];

    private readonly WebApplication _app;

    private ScriptedServer(WebApplication app, Uri address)
    {
        _app = app;
        Address = address;
    }

    /// <summary>Gets the server's base address, e.g. <c>http://127.0.0.1:41234/</c>.</summary>
    public Uri Address { get; }

    /// <summary>Gets how many requests arrived.</summary>
    public int RequestCount
    {
        get
        {
            lock (_all)
            {
                return _all.Count;
            }
        }
    }

    public static async Task<ScriptedServer> StartAsync()
    {
        WebApplicationBuilder builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.ConfigureKestrel(kestrel => kestrel.Listen(IPAddress.Loopback, 0));
        WebApplication app = builder.Build();
        ScriptedServer? server = null;
        app.Run(context =>
        {
            var exchange = new ScriptedExchange(context);
            lock (server!._all)
            {
                server._all.Add(exchange);
            }

            server._requests.Writer.TryWrite(exchange);
            return exchange.Completion;
        });
        await app.StartAsync(TestGuard.Token);
        string address = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.Single();
        server = new ScriptedServer(app, new Uri(address + "/"));
        return server;
    }

    /// <summary>A client of this server (no connection pooling surprises: each test makes its own).</summary>
    public HttpClient CreateHttpClient() => new() { BaseAddress = Address };

    /// <summary>Waits for the next request.</summary>
    public async Task<ScriptedExchange> NextRequestAsync() => await _requests.Reader.ReadAsync(TestGuard.Token);

    /// <summary>Whether a request arrived that the test has not taken.</summary>
    public bool HasPendingRequest => _requests.Reader.TryPeek(out _);

    public async ValueTask DisposeAsync()
    {
        lock (_all)
        {
            _all.ForEach(exchange => exchange.Reset());
        }

        await _app.StopAsync(TestGuard.Token);
        await _app.DisposeAsync();
    }
}
