using Microsoft.Extensions.Options;
using NUnit.Framework;
using StreamingCore.Client.Tests.Support;

namespace StreamingCore.Client.Tests.Construction;

/// <summary>Arguments and options are checked at once, with messages that name every problem; options are copied.</summary>
public class ConstructionTests : ScriptedServerTest
{
    [Test]
    public void The_defaults_are_the_contracts()
    {
        var options = new ChatStreamingClientOptions();
        Assert.That((options.MaxReconnectionDelay, options.MaxConsecutiveFailures, options.TimeProvider), Is.EqualTo((TimeSpan.FromSeconds(30), 10, TimeProvider.System)));
    }

    [Test]
    public void A_null_HttpClient_is_refused() =>
        Assert.That(() => new ChatStreamingClient(null!), Throws.ArgumentNullException.With.Property(nameof(ArgumentException.ParamName)).EqualTo("httpClient"));

    [Test]
    public void Every_invalid_option_is_named_in_one_exception()
    {
        var options = new ChatStreamingClientOptions { MaxReconnectionDelay = TimeSpan.FromSeconds(-1), MaxConsecutiveFailures = 0, TimeProvider = null! };
        using var http = new HttpClient();

        OptionsValidationException error = Assert.Throws<OptionsValidationException>(() => _ = new ChatStreamingClient(http, options))!;
        Assert.That(error.Failures, Has.Exactly(1).Contains("MaxReconnectionDelay")
            .And.Exactly(1).Contains("MaxConsecutiveFailures")
            .And.Exactly(1).Contains("TimeProvider"));
    }

    [TestCase(null)]
    [TestCase("")]
    [TestCase("  ")]
    public void A_missing_request_uri_is_refused_before_enumerating(string? requestUri) =>
        Assert.That(() => CreateClient().StreamAsync(requestUri!), Throws.InstanceOf<ArgumentException>());

    [Test]
    public void The_default_position_is_refused_before_enumerating() =>
        Assert.That(() => CreateClient().StreamAsync(EventsPath, default(ChatStreamPosition)), Throws.ArgumentException.With.Property(nameof(ArgumentException.ParamName)).EqualTo("after"));

    [Test]
    public async Task The_options_are_copied_when_the_client_is_created()
    {
        var options = new ChatStreamingClientOptions { TimeProvider = Time, MaxReconnectionDelay = TimeSpan.FromMilliseconds(300) };
        using HttpClient http = Server.CreateHttpClient();
        var client = new ChatStreamingClient(http, options);
        options.MaxReconnectionDelay = TimeSpan.FromSeconds(20);

        await using IAsyncEnumerator<ChatStreamingEvent> events = client.StreamAsync(EventsPath).GetAsyncEnumerator();
        ValueTask<bool> first = events.MoveNextAsync();
        await (await Server.NextRequestAsync()).RespondProblemAsync(503, "busy");

        Assert.That(await Time.NextTimerAsync(), Is.EqualTo(TimeSpan.FromMilliseconds(300)));
        Time.Advance(TimeSpan.FromMilliseconds(300));
        ScriptedExchange second = await Server.NextRequestAsync();
        await second.StartEventStreamAsync(Sse.Frame(Sse.Event(1, ChatStreamingEventKind.Started)));
        Assert.That(await first.Guarded(), Is.True);
    }

    [Test]
    public async Task Each_enumeration_of_one_stream_has_its_own_connection_and_position()
    {
        IAsyncEnumerable<ChatStreamingEvent> stream = CreateClient().StreamAsync(EventsPath);
        ChatStreamingEvent[] sent = Sse.Response(3);

        await using IAsyncEnumerator<ChatStreamingEvent> first = stream.GetAsyncEnumerator();
        Task<List<ChatStreamingEvent>> firstReading = NextAsync(first, 3);
        ScriptedExchange firstRequest = await Server.NextRequestAsync();
        await firstRequest.StartEventStreamAsync(Sse.Frames(sent));
        await firstReading;

        await using IAsyncEnumerator<ChatStreamingEvent> second = stream.GetAsyncEnumerator();
        Task<ChatStreamingEvent> secondReading = NextAsync(second);
        ScriptedExchange secondRequest = await Server.NextRequestAsync();
        Assert.That(secondRequest.LastEventId, Is.Null, "not the first enumeration's position");
        await secondRequest.StartEventStreamAsync(Sse.Frame(sent[0]));
        Assert.That(await secondReading, Is.EqualTo(sent[0]));
    }
}
