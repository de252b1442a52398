using NUnit.Framework;

namespace StreamingCore.Client.Tests.Support;

/// <summary>
/// A test against a <see cref="ScriptedServer"/> with a client whose waits run on a <see cref="TimerSignalingTimeProvider"/>.
/// Every stream the test opens stops when the test ends.
/// </summary>
public abstract class ScriptedServerTest
{
    /// <summary>The path every test streams from.</summary>
    protected const string EventsPath = "conversations/c1/events";

    // Cancels the streams the test opened, when it ends.
    private CancellationTokenSource _stop = null!;

    // The HttpClients the test made.
    private readonly List<HttpClient> _httpClients = [];

    internal ScriptedServer Server { get; private set; } = null!;

    internal TimerSignalingTimeProvider Time { get; private set; } = null!;

    [SetUp]
    public async Task StartServer()
    {
        _stop = new CancellationTokenSource();
        Time = new TimerSignalingTimeProvider();
        Server = await ScriptedServer.StartAsync();
    }

    [TearDown]
    public async Task StopServer()
    {
        await _stop.CancelAsync();
        await Server.DisposeAsync();
        _httpClients.ForEach(client => client.Dispose());
        _stop.Dispose();
    }

    /// <summary>A client of the server whose waits run on <see cref="Time"/>.</summary>
    protected ChatStreamingClient CreateClient(Action<ChatStreamingClientOptions>? configure = null)
    {
        var options = new ChatStreamingClientOptions { TimeProvider = Time };
        configure?.Invoke(options);
        HttpClient http = Server.CreateHttpClient();
        _httpClients.Add(http);
        return new ChatStreamingClient(http, options);
    }

    /// <summary>Opens a stream of <see cref="EventsPath"/>; it stops when the test ends.</summary>
    protected IAsyncEnumerator<ChatStreamingEvent> Open(ChatStreamingClient? client = null, ChatStreamPosition? after = null)
        => (client ?? CreateClient()).StreamAsync(EventsPath, after, _stop.Token).GetAsyncEnumerator();

    /// <summary>Moves to the next event, which must come.</summary>
    protected static async Task<ChatStreamingEvent> NextAsync(IAsyncEnumerator<ChatStreamingEvent> events)
    {
        Assert.That(await events.MoveNextAsync().Guarded(), Is.True, "the stream ended");
        return events.Current;
    }

    /// <summary>Reads the next <paramref name="count"/> events.</summary>
    protected static async Task<List<ChatStreamingEvent>> NextAsync(IAsyncEnumerator<ChatStreamingEvent> events, int count)
    {
        var list = new List<ChatStreamingEvent>();
        for (int i = 0; i < count; i++)
        {
            list.Add(await NextAsync(events));
        }

        return list;
    }
}
