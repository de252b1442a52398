using System.Net;
using NUnit.Framework;
using StreamingCore.AspNetCore.Tests.Support;

namespace StreamingCore.AspNetCore.Tests.ServerSentEvents;

public class SseLifetimeTests
{
    private const string Conversation = "lifetime";
    private static readonly TimeSpan Duration = TimeSpan.FromSeconds(13);

    [Test]
    public async Task MaxConnectionDuration_ends_the_body_normally_and_the_client_resumes_exactly_with_its_last_id()
    {
        await using TestApp app = await TestApp.StartAsync(http: o => o.MaxConnectionDuration = Duration);
        app.Store.Publish(ChatStreamingEvent.Started(Conversation));
        app.Store.Publish(ChatStreamingEvent.Delta(Conversation, "one "));
        using SseStream first = await SseStream.OpenAsync(app.Client, TestApp.EventsPath(Conversation));
        Assert.That(await first.NextAsync(), Has.Property(nameof(WireEvent.Type)).EqualTo("started"));
        WireEvent last = (await first.NextAsync())!;

        await app.Time.WaitForTimersAsync(Duration);
        app.Time.Advance(Duration);
        List<WireEvent> rest = await first.ReadToEndAsync();
        app.Store.Publish(ChatStreamingEvent.Delta(Conversation, "two"));
        app.Store.Publish(ChatStreamingEvent.Finished(Conversation));
        using SseStream second = await SseStream.OpenAsync(app.Client, TestApp.EventsPath(Conversation), last.Id);

        Assert.That(rest, Is.Empty, "the body ended without another event");
        Assert.That((await second.ReadThroughAsync("finished")).Select(e => e.Sequence), Is.EqualTo(new long[] { 3, 4 }));
    }

    [Test]
    public async Task MaxConnectionDuration_while_waiting_for_the_first_event_still_answers_200_with_retry()
    {
        await using TestApp app = await TestApp.StartAsync(http: o => o.MaxConnectionDuration = Duration);
        Task<SseStream> opening = SseStream.OpenAsync(app.Client, TestApp.EventsPath(Conversation));

        await app.Time.WaitForTimersAsync(Duration);
        app.Time.Advance(Duration);
        using SseStream stream = await opening.Guarded();

        Assert.That(stream.Response.StatusCode, Is.EqualTo(HttpStatusCode.OK));
        Assert.That(await stream.ReadLineAsync(), Is.EqualTo("retry: 3000"));
        Assert.That(await stream.ReadLineAsync(), Is.Empty);
        Assert.That(await stream.ReadLineAsync(), Is.Null, "the body ended");
    }

    [Test]
    public async Task The_app_stopping_ends_the_body_normally()
    {
        await using TestApp app = await TestApp.StartAsync();
        app.Store.Publish(ChatStreamingEvent.Started(Conversation));
        using SseStream stream = await SseStream.OpenAsync(app.Client, TestApp.EventsPath(Conversation));
        Assert.That(await stream.NextAsync(), Has.Property(nameof(WireEvent.Type)).EqualTo("started"));

        app.StopApplication();

        Assert.That(await stream.ReadToEndAsync(), Is.Empty);
        await app.Store.Released.WaitForAsync(1);
    }

    [Test]
    public async Task A_client_that_never_reads_slows_neither_the_producer_nor_another_client_and_later_gets_the_exact_text()
    {
        const int Deltas = 4_000;
        await using TestApp app = await TestApp.StartAsync(store =>
        {
            store.SubscriberCapacity = 16;
            store.MaxResponseLength = 16 * 1024 * 1024;
        });
        app.Store.Publish(ChatStreamingEvent.Started(Conversation));
        using SseStream stalled = await SseStream.OpenAsync(app.Client, TestApp.EventsPath(Conversation));
        using SseStream reader = await SseStream.OpenAsync(app.Client, TestApp.EventsPath(Conversation));
        Task<List<WireEvent>> reading = reader.ReadThroughAsync("finished");

        // 4 MB of text: far more than the socket buffers, so the stalled connection's writes block.
        string chunk = new('x', 1000);
        var expected = new System.Text.StringBuilder();
        for (int i = 0; i < Deltas; i++)
        {
            string text = $"{i:D6}{chunk}";
            expected.Append(text);
            app.Store.Publish(ChatStreamingEvent.Delta(Conversation, text));
        }

        app.Store.Publish(ChatStreamingEvent.Finished(Conversation));
        List<WireEvent> read = await reading.Guarded();
        List<WireEvent> late = await stalled.ReadThroughAsync("finished");

        Assert.That(Text(read), Is.EqualTo(expected.ToString()));
        Assert.That(Text(late), Is.EqualTo(expected.ToString()), "coalesced, never lost");
        Assert.That(late, Has.Count.LessThan(Deltas + 2), "the stalled client fell behind and its queue merged deltas");
        Assert.That(late[^1].Sequence, Is.EqualTo(Deltas + 2));
    }

    [Test]
    public async Task A_client_that_disconnects_mid_event_releases_its_subscription_and_nobody_else_notices()
    {
        await using TestApp app = await TestApp.StartAsync(store => store.MaxResponseLength = 4 * 1024 * 1024);
        app.Store.Publish(ChatStreamingEvent.Started(Conversation));
        using SseStream staying = await SseStream.OpenAsync(app.Client, TestApp.EventsPath(Conversation));
        SseStream leaving = await SseStream.OpenAsync(app.Client, TestApp.EventsPath(Conversation));
        string big = new('y', 2 * 1024 * 1024);
        app.Store.Publish(ChatStreamingEvent.Delta(Conversation, big));

        // Read into the middle of the big event's data line, then drop the connection.
        while (await leaving.ReadLineAsync() is { } line && !line.StartsWith("event: delta", StringComparison.Ordinal))
        {
        }

        char[] some = new char[4096];
        _ = await leaving.ReadBlockAsync(some);
        leaving.Dispose();
        await app.Store.Released.WaitForAsync(1);
        Assert.That(app.Store.Inner.SubscriberCount, Is.EqualTo(1), "only the staying client's subscription is left");

        app.Store.Publish(ChatStreamingEvent.Delta(Conversation, "after"));
        app.Store.Publish(ChatStreamingEvent.Finished(Conversation));

        Assert.That(Text(await staying.ReadThroughAsync("finished")), Is.EqualTo(big + "after"));
    }

    private static string Text(IEnumerable<WireEvent> events) => string.Concat(events.Where(e => e.Type == "delta").Select(e => e.Text));
}
