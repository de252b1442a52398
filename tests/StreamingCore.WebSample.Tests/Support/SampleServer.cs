using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using NUnit.Framework;

namespace StreamingCore.WebSample.Tests.Support;

/// <summary>The web sample, started in-process on a real Kestrel port of 127.0.0.1 with the test's clock and settings.</summary>
internal sealed class SampleServer : IAsyncDisposable
{
    private readonly WebApplication _app;

    private SampleServer(WebApplication app, Uri address)
    {
        _app = app;
        Address = address;
    }

    public Uri Address { get; }

    /// <summary>Gets the app's services (the store, the fake chat client).</summary>
    public IServiceProvider Services => _app.Services;

    /// <param name="time">The clock of the store, the endpoints and the fake model.</param>
    /// <param name="settings">Configuration keys and values, as on the command line (<c>WebSample:TokenDelay</c>, ...).</param>
    /// <param name="services">Changes to the sample's services, after its own registrations (e.g. another chat pipeline).</param>
    public static async Task<SampleServer> StartAsync(TimeProvider time, IReadOnlyDictionary<string, string> settings, Action<IServiceCollection>? services = null)
    {
        string[] args =
        [
            "--urls=http://127.0.0.1:0",
            $"--contentRoot={SampleDirectory()}",
            .. settings.Select(s => $"--{s.Key}={s.Value}"),
        ];
        WebApplication app = WebSampleApp.Create(args, builder =>
        {
            builder.Logging.ClearProviders();
            builder.Services.AddSingleton(time);
            services?.Invoke(builder.Services);
        });
        await app.StartAsync(TestGuard.Token);
        string address = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.Single();
        return new SampleServer(app, new Uri(address + "/"));
    }

    /// <summary>Stops the app as a shutdown does (ApplicationStopping cancels the answers); <see cref="DisposeAsync"/> still disposes it.</summary>
    public async Task StopAsync() => await _app.StopAsync(TestGuard.Token);

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync(TestGuard.Token);
        await _app.DisposeAsync();
    }

    /// <summary>The sample's folder (its wwwroot and appsettings.json), found from the test's folder.</summary>
    private static string SampleDirectory()
    {
        for (DirectoryInfo? dir = new(TestContext.CurrentContext.TestDirectory); dir is not null; dir = dir.Parent)
        {
            string sample = Path.Combine(dir.FullName, "samples", "StreamingCore.WebSample");
            if (File.Exists(Path.Combine(dir.FullName, "StreamingCore.sln")) && Directory.Exists(sample))
            {
                return sample;
            }
        }

        throw new InvalidOperationException("samples/StreamingCore.WebSample not found above the test directory.");
    }
}
