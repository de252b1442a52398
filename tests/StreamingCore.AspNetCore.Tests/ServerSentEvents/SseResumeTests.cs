using System.Net;
using System.Text;
using NUnit.Framework;
using StreamingCore.AspNetCore.Tests.Support;

namespace StreamingCore.AspNetCore.Tests.ServerSentEvents;

public class SseResumeTests
{
    private const string Conversation = "resume";

    [Test]
    public async Task Resuming_after_every_position_of_a_200_event_response_while_it_streams_yields_each_later_event_once_in_order()
    {
        const int Events = 200; // Started, 198 deltas, Finished
        await using TestApp app = await TestApp.StartAsync(store => store.MaxSubscribersPerConversation = Events);
        string[] texts = [.. Enumerable.Range(2, Events - 2).Select(i => $"<{i}>")];
        var published = new List<ChatStreamingEvent>();
        void PublishUpTo(long sequence)
        {
            while (published.Count < sequence)
            {
                int next = published.Count + 1;
                published.Add(app.Store.Publish(next switch
                {
                    1 => ChatStreamingEvent.Started(Conversation),
                    Events => ChatStreamingEvent.Finished(Conversation, new TokenUsage(3, Events - 2)),
                    _ => ChatStreamingEvent.Delta(Conversation, texts[next - 2]),
                }));
            }
        }

        // Client k resumes after event k. When it subscribes, between 0 and 3 later events are already retained (its
        // replay); the producer publishes the next one while the replay is written, so every hand-over from replay to
        // live happens while the producer publishes.
        var readers = new List<Task<List<WireEvent>>>();
        for (int k = 1; k < Events; k++)
        {
            PublishUpTo(Math.Min(Events, k + (k % 4)));
            string lastEventId = published[k - 1].Position.ToString();
            readers.Add(ReadResumedAsync(app, lastEventId));
            await app.Store.Subscribed.WaitForAsync(k);
            PublishUpTo(Math.Min(Events, published.Count + 1));
        }

        PublishUpTo(Events);
        List<WireEvent>[] received = await Task.WhenAll(readers).Guarded();

        for (int k = 1; k < Events; k++)
        {
            List<WireEvent> events = received[k - 1];
            Assert.That(events.Select(e => e.Sequence), Is.EqualTo(Enumerable.Range(k + 1, Events - k).Select(s => (long)s)), $"after {k}");
            Assert.That(events.Select(e => e.Id), Is.EqualTo(published.Skip(k).Select(e => e.Position.ToString())), $"ids after {k}");
            Assert.That(string.Concat(events.Where(e => e.Type == "delta").Select(e => e.Text)), Is.EqualTo(string.Concat(texts.Skip(Math.Max(0, k - 1)))), $"text after {k}");
        }
    }

    [Test]
    public async Task A_position_from_a_previous_store_is_410_even_when_the_new_stream_is_longer_and_no_event_is_sent()
    {
        // A new process: a new store, whose stream of the same conversation is longer than the old position.
        (TestApp after, string oldPosition) = await TestApp.StartAfterRestartAsync(Conversation);
        await using TestApp _ = after;

        using HttpResponseMessage response = await GetAsync(after, oldPosition);
        string body = await response.Content.ReadAsStringAsync(TestGuard.Token);

        Assert.Multiple(() =>
        {
            Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.Gone));
            Assert.That(response.Content.Headers.ContentType?.MediaType, Is.EqualTo("application/problem+json"));
            Assert.That(body, Does.Contain("another epoch"));
            Assert.That(body, Does.Not.Contain("new"));
        });
    }

    [Test]
    public async Task A_position_ahead_of_the_stream_is_410()
    {
        await using TestApp app = await TestApp.StartAsync();
        ChatStreamingEvent started = app.Store.Publish(ChatStreamingEvent.Started(Conversation));

        using HttpResponseMessage response = await GetAsync(app, new ChatStreamPosition(started.Epoch!, 5).ToString());

        Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.Gone));
        Assert.That(await response.Content.ReadAsStringAsync(TestGuard.Token), Does.Contain("ahead of the stream"));
    }

    [Test]
    public async Task Events_that_are_no_longer_retained_are_410()
    {
        await using TestApp app = await TestApp.StartAsync(store => store.RetentionPeriod = TimeSpan.FromMinutes(1));
        app.Store.Publish(ChatStreamingEvent.Started(Conversation));
        ChatStreamingEvent first = app.Store.Publish(ChatStreamingEvent.Delta(Conversation, "a"));
        app.Store.Publish(ChatStreamingEvent.Finished(Conversation));
        app.Time.Advance(TimeSpan.FromMinutes(1));
        app.Store.Publish(ChatStreamingEvent.Started(Conversation));

        using HttpResponseMessage response = await GetAsync(app, first.Position.ToString());

        Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.Gone));
    }

    [Test]
    public async Task The_lastEventId_query_parameter_resumes_like_the_header_and_the_header_wins()
    {
        await using TestApp app = await TestApp.StartAsync();
        ChatStreamingEvent started = app.Store.Publish(ChatStreamingEvent.Started(Conversation));
        ChatStreamingEvent one = app.Store.Publish(ChatStreamingEvent.Delta(Conversation, "1"));
        app.Store.Publish(ChatStreamingEvent.Delta(Conversation, "2"));
        app.Store.Publish(ChatStreamingEvent.Finished(Conversation));

        using SseStream byQuery = await SseStream.OpenAsync(app.Client, $"{TestApp.EventsPath(Conversation)}?lastEventId={started.Position}");
        using SseStream both = await SseStream.OpenAsync(app.Client, $"{TestApp.EventsPath(Conversation)}?lastEventId={started.Position}", one.Position.ToString());

        Assert.That((await byQuery.ReadThroughAsync("finished")).Select(e => e.Sequence), Is.EqualTo(new long[] { 2, 3, 4 }));
        Assert.That((await both.ReadThroughAsync("finished")).Select(e => e.Sequence), Is.EqualTo(new long[] { 3, 4 }));
    }

    [Test]
    public async Task Without_a_resume_point_the_stream_starts_at_the_current_response_and_follows_the_next_ones()
    {
        await using TestApp app = await TestApp.StartAsync();
        app.Store.Publish(ChatStreamingEvent.Started(Conversation));
        app.Store.Publish(ChatStreamingEvent.Delta(Conversation, "first"));
        app.Store.Publish(ChatStreamingEvent.Finished(Conversation));
        app.Store.Publish(ChatStreamingEvent.Started(Conversation));
        app.Store.Publish(ChatStreamingEvent.Delta(Conversation, "second"));

        using SseStream stream = await SseStream.OpenAsync(app.Client, TestApp.EventsPath(Conversation));
        app.Store.Publish(ChatStreamingEvent.Finished(Conversation));
        List<WireEvent> second = await stream.ReadThroughAsync("finished");

        // Following: the connection carries the next response too, after waiting for it.
        await app.Store.Subscribed.WaitForAsync(2);
        app.Store.Publish(ChatStreamingEvent.Started(Conversation));
        app.Store.Publish(ChatStreamingEvent.Failed(Conversation, "model overloaded"));
        List<WireEvent> third = await stream.ReadThroughAsync("failed");

        Assert.That(second.Select(e => e.Sequence), Is.EqualTo(new long[] { 4, 5, 6 }));
        Assert.That(third.Select(e => e.Sequence), Is.EqualTo(new long[] { 7, 8 }));
        Assert.That(third[1].Data.GetProperty("error").GetString(), Is.EqualTo("model overloaded"));
    }

    [Test]
    public async Task A_client_that_connects_before_the_response_starts_gets_it_from_its_start()
    {
        await using TestApp app = await TestApp.StartAsync();
        Task<SseStream> opening = SseStream.OpenAsync(app.Client, TestApp.EventsPath(Conversation));
        await app.Store.Subscribed.WaitForAsync(1);

        app.Store.Publish(ChatStreamingEvent.Started(Conversation));
        app.Store.Publish(ChatStreamingEvent.Delta(Conversation, "hi"));
        app.Store.Publish(ChatStreamingEvent.Finished(Conversation));
        using SseStream stream = await opening.Guarded();

        Assert.That(stream.Response.StatusCode, Is.EqualTo(HttpStatusCode.OK));
        Assert.That((await stream.ReadThroughAsync("finished")).Select(e => e.Type), Is.EqualTo(new[] { "started", "delta", "finished" }));
    }

    private static async Task<List<WireEvent>> ReadResumedAsync(TestApp app, string lastEventId)
    {
        using SseStream stream = await SseStream.OpenAsync(app.Client, TestApp.EventsPath(Conversation), lastEventId);
        Assert.That(stream.Response.StatusCode, Is.EqualTo(HttpStatusCode.OK), lastEventId);
        return await stream.ReadThroughAsync("finished");
    }

    private static Task<HttpResponseMessage> GetAsync(TestApp app, string lastEventId)
    {
        var request = new HttpRequestMessage(HttpMethod.Get, TestApp.EventsPath(Conversation));
        request.Headers.TryAddWithoutValidation("Last-Event-ID", lastEventId);
        return app.Client.SendAsync(request, TestGuard.Token);
    }
}
