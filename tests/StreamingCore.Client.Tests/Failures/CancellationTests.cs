using System.Runtime.CompilerServices;
using NUnit.Framework;
using StreamingCore.Client.Tests.Support;

namespace StreamingCore.Client.Tests.Failures;

/// <summary>Cancelling throws OperationCanceledException from the pending MoveNextAsync, wherever the client is.</summary>
public class CancellationTests : ScriptedServerTest
{
    private static readonly ChatStreamingEvent Started = Sse.Event(1, ChatStreamingEventKind.Started);

    [Test]
    public async Task Cancelling_while_it_waits_for_an_event_throws_and_closes_the_connection()
    {
        using var cancellation = new CancellationTokenSource();
        await using IAsyncEnumerator<ChatStreamingEvent> events = CreateClient().StreamAsync(EventsPath, cancellationToken: cancellation.Token).GetAsyncEnumerator();
        Task<ChatStreamingEvent> started = NextAsync(events);
        ScriptedExchange request = await Server.NextRequestAsync();
        await request.StartEventStreamAsync(Sse.Frame(Started));
        await started;

        ValueTask<bool> pending = events.MoveNextAsync();
        await cancellation.CancelAsync();

        await Assert.CatchAsync<OperationCanceledException>(async () => await pending.Guarded());
        await request.ClientGoneAsync(); // the client closed its connection
    }

    [Test]
    public async Task Cancelling_during_the_reconnection_wait_throws_without_reconnecting()
    {
        using var cancellation = new CancellationTokenSource();
        await using IAsyncEnumerator<ChatStreamingEvent> events = CreateClient().StreamAsync(EventsPath, cancellationToken: cancellation.Token).GetAsyncEnumerator();
        ValueTask<bool> pending = events.MoveNextAsync();
        await (await Server.NextRequestAsync()).RespondProblemAsync(503, "busy");
        Assert.That(await Time.NextTimerAsync(), Is.EqualTo(TimeSpan.FromSeconds(1)));

        await cancellation.CancelAsync();

        await Assert.CatchAsync<OperationCanceledException>(async () => await pending.Guarded());
        Assert.That(Server.RequestCount, Is.EqualTo(1));
    }

    [Test]
    public async Task Cancelling_before_the_response_headers_throws()
    {
        using var cancellation = new CancellationTokenSource();
        await using IAsyncEnumerator<ChatStreamingEvent> events = CreateClient().StreamAsync(EventsPath).GetAsyncEnumerator(cancellation.Token);
        ValueTask<bool> pending = events.MoveNextAsync();
        ScriptedExchange request = await Server.NextRequestAsync(); // never answered

        await cancellation.CancelAsync();

        await Assert.CatchAsync<OperationCanceledException>(async () => await pending.Guarded());
        Assert.That(Time.HasUnreadTimer, Is.False, "a cancellation is not a failure to retry");
        request.End();
    }

    [Test]
    public async Task The_token_given_to_WithCancellation_cancels_too()
    {
        using var cancellation = new CancellationTokenSource();
        IAsyncEnumerable<ChatStreamingEvent> stream = CreateClient().StreamAsync(EventsPath);
        await using ConfiguredCancelableAsyncEnumerable<ChatStreamingEvent>.Enumerator events = stream.WithCancellation(cancellation.Token).GetAsyncEnumerator();
        var pending = events.MoveNextAsync();
        ScriptedExchange request = await Server.NextRequestAsync();
        await request.StartEventStreamAsync();

        await cancellation.CancelAsync();

        await Assert.CatchAsync<OperationCanceledException>(async () => await pending);
    }

    [Test]
    public async Task An_already_cancelled_token_throws_before_any_request()
    {
        await using IAsyncEnumerator<ChatStreamingEvent> events = CreateClient().StreamAsync(EventsPath, cancellationToken: new CancellationToken(canceled: true)).GetAsyncEnumerator();

        await Assert.CatchAsync<OperationCanceledException>(async () => await events.MoveNextAsync());
        Assert.That(Server.RequestCount, Is.Zero);
    }
}
