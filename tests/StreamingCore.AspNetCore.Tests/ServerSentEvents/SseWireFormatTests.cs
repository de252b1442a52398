using System.Globalization;
using System.Net;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.ResponseCompression;
using Microsoft.Extensions.DependencyInjection;
using NUnit.Framework;
using StreamingCore.AspNetCore.Tests.Support;

namespace StreamingCore.AspNetCore.Tests.ServerSentEvents;

public class SseWireFormatTests
{
    private const string Conversation = "wire";

    [Test]
    public async Task The_response_is_an_uncompressed_uncached_event_stream_that_starts_with_retry()
    {
        // Compression configured for event streams, and asked for: the endpoint must still not compress.
        await using TestApp app = await TestApp.StartAsync(
            http: o => o.ReconnectionDelay = TimeSpan.FromMilliseconds(2500),
            services: s => s.AddResponseCompression(o => o.MimeTypes = ["text/event-stream"]),
            map: a =>
            {
                a.UseResponseCompression();
                a.MapChatStreamingEvents(TestApp.EventsRoute);
            });
        ChatStreamingEvent started = app.Store.Publish(ChatStreamingEvent.Started(Conversation));
        app.Client.DefaultRequestHeaders.AcceptEncoding.ParseAdd("gzip, br");

        using SseStream stream = await SseStream.OpenAsync(app.Client, TestApp.EventsPath(Conversation));
        string?[] lines = [await stream.ReadLineAsync(), await stream.ReadLineAsync(), await stream.ReadLineAsync(), await stream.ReadLineAsync(), await stream.ReadLineAsync(), await stream.ReadLineAsync()];

        Assert.Multiple(() =>
        {
            Assert.That(stream.Response.StatusCode, Is.EqualTo(HttpStatusCode.OK));
            Assert.That(stream.Response.Content.Headers.ContentType?.MediaType, Is.EqualTo("text/event-stream"));
            Assert.That(stream.Response.Headers.CacheControl?.NoCache, Is.True);
            Assert.That(stream.Response.Content.Headers.ContentEncoding, Has.None.EqualTo("gzip").And.None.EqualTo("br"));
            // The contract's order: id:, event:, data: (a line-by-line client that acts on data: already has the event's id).
            Assert.That(lines, Is.EqualTo(new[] { "retry: 2500", string.Empty, $"id: {started.Position}", "event: started", $"data: {{\"conversationId\":\"wire\",\"sequence\":1,\"kind\":\"started\",\"timestamp\":\"{Round(started.Timestamp)}\"}}", string.Empty }));
        });
    }

    [Test]
    public async Task Each_kind_has_its_event_name_id_and_camelCase_data_with_a_round_trip_timestamp()
    {
        await using TestApp app = await TestApp.StartAsync();
        ChatStreamingEvent[] published =
        [
            app.Store.Publish(ChatStreamingEvent.Started(Conversation)),
            app.Store.Publish(ChatStreamingEvent.Delta(Conversation, "Hel")),
            app.Store.Publish(ChatStreamingEvent.Finished(Conversation, new TokenUsage(5, 7))),
            app.Store.Publish(ChatStreamingEvent.Started(Conversation)),
            app.Store.Publish(ChatStreamingEvent.Finished(Conversation)),
            app.Store.Publish(ChatStreamingEvent.Started(Conversation)),
            app.Store.Publish(ChatStreamingEvent.Failed(Conversation, "boom")),
        ];

        using SseStream stream = await SseStream.OpenAsync(app.Client, TestApp.EventsPath(Conversation), published[0].Position.ToString());
        List<WireEvent> events = [.. await stream.ReadThroughAsync("finished"), .. await stream.ReadThroughAsync("finished"), .. await stream.ReadThroughAsync("failed")];

        Assert.That(events.Select(e => e.Id), Is.EqualTo(published.Skip(1).Select(e => e.Position.ToString())));
        Assert.That(events.Select(e => e.Type), Is.EqualTo(new[] { "delta", "finished", "started", "finished", "started", "failed" }));
        Assert.Multiple(() =>
        {
            Assert.That(events[0].Data.ToString(), Is.EqualTo($"{{\"conversationId\":\"wire\",\"sequence\":2,\"kind\":\"delta\",\"text\":\"Hel\",\"timestamp\":\"{Round(published[1].Timestamp)}\"}}"));
            Assert.That(events[1].Data.ToString(), Is.EqualTo($"{{\"conversationId\":\"wire\",\"sequence\":3,\"kind\":\"finished\",\"usage\":{{\"inputTokens\":5,\"outputTokens\":7,\"totalTokens\":12}},\"timestamp\":\"{Round(published[2].Timestamp)}\"}}"));
            Assert.That(events[3].Data.TryGetProperty("usage", out _), Is.False, "usage only when known");
            Assert.That(events[5].Data.ToString(), Is.EqualTo($"{{\"conversationId\":\"wire\",\"sequence\":7,\"kind\":\"failed\",\"error\":\"boom\",\"timestamp\":\"{Round(published[6].Timestamp)}\"}}"));
            Assert.That(events[0].Data.GetProperty("timestamp").GetDateTimeOffset(), Is.EqualTo(published[1].Timestamp), "100 ns precision survives");
        });
    }

    [Test]
    public async Task Text_with_line_breaks_NUL_field_names_and_non_BMP_characters_round_trips_and_keeps_the_framing()
    {
        string[] deltas = ["a\rb", "c\nd", "e\r\nf", "g\0h", "data: x", "id: y", "\n\nevent: fake\n\n", "retry: 1", ": not a comment", "😀", "\u2028\u2029", "\r", "\n", string.Empty, "\"quoted\" \\ <tag> &amp;"];
        await using TestApp app = await TestApp.StartAsync();
        ChatStreamingEvent started = app.Store.Publish(ChatStreamingEvent.Started(Conversation));
        ChatStreamingEvent[] published = [.. deltas.Select(d => app.Store.Publish(ChatStreamingEvent.Delta(Conversation, d)))];
        app.Store.Publish(ChatStreamingEvent.Finished(Conversation));

        using SseStream stream = await SseStream.OpenAsync(app.Client, TestApp.EventsPath(Conversation), started.Position.ToString());
        List<WireEvent> events = await stream.ReadThroughAsync("finished");

        Assert.That(events.Select(e => e.Type), Is.EqualTo(deltas.Select(_ => "delta").Append("finished")));
        Assert.That(events.SkipLast(1).Select(e => e.Text), Is.EqualTo(deltas));
        Assert.That(events.SkipLast(1).Select(e => e.Id), Is.EqualTo(published.Select(e => e.Position.ToString())));
    }

    [Test]
    public async Task Heartbeat_comments_come_at_the_configured_interval_and_not_before()
    {
        await using TestApp app = await TestApp.StartAsync();
        Task<SseStream> opening = SseStream.OpenAsync(app.Client, TestApp.EventsPath(Conversation));

        // Nothing to send: the first heartbeat is what starts the response (the subscription is established and waits).
        await app.Time.WaitForTimersAsync(TestApp.Heartbeat, 1);
        app.Time.Advance(TestApp.Heartbeat);
        using SseStream stream = await opening.Guarded();
        Assert.That(new[] { await stream.ReadLineAsync(), await stream.ReadLineAsync(), await stream.ReadLineAsync() }, Is.EqualTo(new[] { "retry: 3000", string.Empty, ": heartbeat" }));
        Assert.That(await stream.ReadLineAsync(), Is.Empty);

        // One tick short of the next interval, an event comes first; the tick after it, the heartbeat.
        await app.Time.WaitForTimersAsync(TestApp.Heartbeat, 2);
        app.Time.Advance(TestApp.Heartbeat - TimeSpan.FromTicks(1));
        ChatStreamingEvent started = app.Store.Publish(ChatStreamingEvent.Started(Conversation));
        Assert.That(await stream.ReadLineAsync(), Is.EqualTo($"id: {started.Position}"));
        Assert.That(await stream.ReadLineAsync(), Is.EqualTo("event: started"));
        Assert.That(await stream.ReadLineAsync(), Does.StartWith("data: "));
        Assert.That(await stream.ReadLineAsync(), Is.Empty);
        app.Time.Advance(TimeSpan.FromTicks(1));
        Assert.That(await stream.ReadLineAsync(), Is.EqualTo(": heartbeat"));
        Assert.That(await stream.ReadLineAsync(), Is.Empty);

        await app.Time.WaitForTimersAsync(TestApp.Heartbeat, 3);
        app.Time.Advance(TestApp.Heartbeat);
        Assert.That(await stream.ReadLineAsync(), Is.EqualTo(": heartbeat"));
    }

    [Test]
    public async Task An_unpublished_event_from_a_custom_store_is_never_sent_with_an_empty_id()
    {
        // An empty id: line would reset a browser's last event id, and its next reconnection would start over.
        await using TestApp app = await TestApp.StartAsync(services: s => s.AddSingleton<IChatStreamingStore>(new UnpublishedEventStore()));

        using SseStream stream = await SseStream.OpenAsync(app.Client, TestApp.EventsPath(Conversation));
        List<string> lines = [];
        try
        {
            // Up to the end of the body, or of an event's data (then the stream would wait for the fake store's next event).
            while (await stream.ReadLineAsync() is { } line)
            {
                lines.Add(line);
                if (line.StartsWith("data:", StringComparison.Ordinal))
                {
                    break;
                }
            }
        }
        catch (HttpRequestException)
        {
            // The endpoint aborted the response.
        }
        catch (IOException)
        {
            // The endpoint aborted the response.
        }

        Assert.That(lines, Has.None.StartsWith("id:"));
        Assert.That(lines, Has.None.StartsWith("event:"));
    }

    /// <summary>A store that yields an event it never stamped: no epoch, sequence 0.</summary>
    private sealed class UnpublishedEventStore : IChatStreamingStore
    {
        public IObservable<ChatStreamingEvent> Events => throw new NotSupportedException();

        public ChatStreamingEvent Publish(ChatStreamingEvent streamingEvent) => throw new NotSupportedException();

        public IAsyncEnumerable<ChatStreamingEvent> SubscribeAsync(string conversationId, long afterSequence = 0, CancellationToken cancellationToken = default)
            => YieldAsync(conversationId, cancellationToken);

        public IAsyncEnumerable<ChatStreamingEvent> SubscribeAsync(string conversationId, ChatStreamPosition after, CancellationToken cancellationToken = default)
            => YieldAsync(conversationId, cancellationToken);

        private static async IAsyncEnumerable<ChatStreamingEvent> YieldAsync(string conversationId, [System.Runtime.CompilerServices.EnumeratorCancellation] CancellationToken cancellationToken)
        {
            yield return ChatStreamingEvent.Started(conversationId);

            // A response that never goes on: wait for nothing but the subscriber's cancellation.
            await new TaskCompletionSource().Task.WaitAsync(cancellationToken);
        }
    }

    private static string Round(DateTimeOffset timestamp) => timestamp.ToString("yyyy-MM-ddTHH:mm:ss.FFFFFFFzzz", CultureInfo.InvariantCulture);
}
