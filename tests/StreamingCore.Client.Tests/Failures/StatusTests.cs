using System.Net;
using NUnit.Framework;
using StreamingCore.Client.Tests.Support;

namespace StreamingCore.Client.Tests.Failures;

/// <summary>410, 429 and other 4xx end the stream with a typed error and are never retried; 5xx and transport errors are retried up to a limit.</summary>
public class StatusTests : ScriptedServerTest
{
    private static readonly ChatStreamingEvent[] Sent = Sse.Response(5);

    [Test]
    public async Task Gone_after_a_drop_is_SequenceNotRetained_with_the_conversation_and_the_problems_detail()
    {
        await using IAsyncEnumerator<ChatStreamingEvent> events = Open();
        Task<List<ChatStreamingEvent>> reading = NextAsync(events, 2);
        ScriptedExchange first = await Server.NextRequestAsync();
        await first.StartEventStreamAsync(Sse.Frames(Sent[..2]));
        await reading;

        ValueTask<bool> next = events.MoveNextAsync();
        first.End();
        await Time.PassReconnectionDelayAsync(TimeSpan.FromSeconds(1));
        ScriptedExchange second = await Server.NextRequestAsync();
        await second.RespondProblemAsync(410, "Position e1:2 is no longer retained.");

        ChatStreamingException error = (await Assert.ThrowsAsync<ChatStreamingException>(async () => await next.Guarded()))!;
        Assert.Multiple(() =>
        {
            Assert.That(error.Error, Is.EqualTo(ChatStreamingError.SequenceNotRetained));
            Assert.That(error.ConversationId, Is.EqualTo("c1"));
            Assert.That(error.Message, Does.Contain("after e1:2").And.Contain("Position e1:2 is no longer retained."));
            Assert.That(error.InnerException, Is.TypeOf<HttpRequestException>().With.Property(nameof(HttpRequestException.StatusCode)).EqualTo(HttpStatusCode.Gone));
            Assert.That(Server.RequestCount, Is.EqualTo(2), "not retried");
            Assert.That(Time.HasUnreadTimer, Is.False);
        });
    }

    [Test]
    public async Task Gone_at_once_for_the_callers_position_is_SequenceNotRetained()
    {
        await using IAsyncEnumerator<ChatStreamingEvent> events = Open(after: new ChatStreamPosition("old", 57));
        ValueTask<bool> first = events.MoveNextAsync();
        ScriptedExchange request = await Server.NextRequestAsync();
        Assert.That(request.LastEventId, Is.EqualTo("old:57"));
        await request.RespondProblemAsync(410, "Another epoch.");

        ChatStreamingException error = (await Assert.ThrowsAsync<ChatStreamingException>(async () => await first.Guarded()))!;
        Assert.Multiple(() =>
        {
            Assert.That(error.Error, Is.EqualTo(ChatStreamingError.SequenceNotRetained));
            Assert.That(error.Message, Does.Contain("old:57").And.Contain("Another epoch."));
        });
    }

    [Test]
    public async Task Too_many_requests_is_TooManySubscribers_and_is_not_retried()
    {
        await using IAsyncEnumerator<ChatStreamingEvent> events = Open();
        ValueTask<bool> first = events.MoveNextAsync();
        ScriptedExchange request = await Server.NextRequestAsync();
        await request.RespondProblemAsync(429, "Conversation c1 has 100 subscribers.");

        ChatStreamingException error = (await Assert.ThrowsAsync<ChatStreamingException>(async () => await first.Guarded()))!;
        Assert.Multiple(() =>
        {
            Assert.That(error.Error, Is.EqualTo(ChatStreamingError.TooManySubscribers));
            Assert.That(error.Message, Does.Contain("Conversation c1 has 100 subscribers."));
            Assert.That(Server.RequestCount, Is.EqualTo(1));
            Assert.That(Time.HasUnreadTimer, Is.False);
        });
    }

    [TestCase(400)]
    [TestCase(401)]
    [TestCase(403)]
    [TestCase(404)]
    [TestCase(409)]
    [TestCase(422)]
    public async Task Any_other_4xx_is_an_HttpRequestException_with_its_status_and_detail_and_is_not_retried(int status)
    {
        await using IAsyncEnumerator<ChatStreamingEvent> events = Open();
        ValueTask<bool> first = events.MoveNextAsync();
        ScriptedExchange request = await Server.NextRequestAsync();
        await request.RespondProblemAsync(status, "Malformed Last-Event-ID.");

        HttpRequestException error = (await Assert.ThrowsAsync<HttpRequestException>(async () => await first.Guarded()))!;
        Assert.Multiple(() =>
        {
            Assert.That(error.StatusCode, Is.EqualTo((HttpStatusCode)status));
            Assert.That(error.Message, Does.Contain(status.ToString(System.Globalization.CultureInfo.InvariantCulture)).And.Contain("Malformed Last-Event-ID."));
            Assert.That(Server.RequestCount, Is.EqualTo(1));
            Assert.That(Time.HasUnreadTimer, Is.False);
        });
    }

    [Test]
    public async Task A_4xx_without_a_problem_body_still_names_its_status()
    {
        await using IAsyncEnumerator<ChatStreamingEvent> events = Open();
        ValueTask<bool> first = events.MoveNextAsync();
        (await Server.NextRequestAsync()).RespondStatus(404);

        HttpRequestException error = (await Assert.ThrowsAsync<HttpRequestException>(async () => await first.Guarded()))!;
        Assert.That((error.StatusCode, error.Message), Is.EqualTo(((HttpStatusCode?)HttpStatusCode.NotFound, $"GET {EventsPath} answered 404 (Not Found).")));
    }

    [Test]
    public async Task A_5xx_is_retried_after_a_second_until_a_200()
    {
        await using IAsyncEnumerator<ChatStreamingEvent> events = Open();
        Task<ChatStreamingEvent> next = NextAsync(events);
        await (await Server.NextRequestAsync()).RespondProblemAsync(503, "Starting up.");
        await Time.PassReconnectionDelayAsync(TimeSpan.FromSeconds(1));
        ScriptedExchange second = await Server.NextRequestAsync();
        await second.StartEventStreamAsync(Sse.Frame(Sent[0]));

        Assert.That(await next, Is.EqualTo(Sent[0]));
    }

    [Test]
    public async Task After_MaxConsecutiveFailures_5xx_it_throws_the_last_with_its_status()
    {
        await using IAsyncEnumerator<ChatStreamingEvent> events = Open(CreateClient(o => o.MaxConsecutiveFailures = 3));
        ValueTask<bool> first = events.MoveNextAsync();
        await (await Server.NextRequestAsync()).RespondProblemAsync(500, "one");
        await Time.PassReconnectionDelayAsync(TimeSpan.FromSeconds(1));
        await (await Server.NextRequestAsync()).RespondProblemAsync(502, "two");
        await Time.PassReconnectionDelayAsync(TimeSpan.FromSeconds(1));
        await (await Server.NextRequestAsync()).RespondProblemAsync(503, "three");

        HttpRequestException error = (await Assert.ThrowsAsync<HttpRequestException>(async () => await first.Guarded()))!;
        Assert.Multiple(() =>
        {
            Assert.That(error.StatusCode, Is.EqualTo(HttpStatusCode.ServiceUnavailable));
            Assert.That(error.Message, Does.Contain("three"));
            Assert.That(Server.RequestCount, Is.EqualTo(3));
            Assert.That(Time.HasUnreadTimer, Is.False, "no wait after the last attempt");
        });
    }

    [Test]
    public async Task After_MaxConsecutiveFailures_transport_errors_it_throws_the_last_one()
    {
        await using IAsyncEnumerator<ChatStreamingEvent> events = Open(CreateClient(o => o.MaxConsecutiveFailures = 3));
        ValueTask<bool> first = events.MoveNextAsync();
        for (int attempt = 1; attempt <= 3; attempt++)
        {
            if (attempt > 1)
            {
                await Time.PassReconnectionDelayAsync(TimeSpan.FromSeconds(1));
            }

            (await Server.NextRequestAsync()).Reset(); // before any header: the request fails
        }

        HttpRequestException error = (await Assert.ThrowsAsync<HttpRequestException>(async () => await first.Guarded()))!;
        Assert.Multiple(() =>
        {
            Assert.That(error.StatusCode, Is.Null);
            Assert.That(Server.RequestCount, Is.EqualTo(3));
        });
    }

    [Test]
    public async Task The_first_attempt_counts()
    {
        await using IAsyncEnumerator<ChatStreamingEvent> events = Open(CreateClient(o => o.MaxConsecutiveFailures = 1));
        ValueTask<bool> first = events.MoveNextAsync();
        await (await Server.NextRequestAsync()).RespondProblemAsync(500, "down");

        HttpRequestException error = (await Assert.ThrowsAsync<HttpRequestException>(async () => await first.Guarded()))!;
        Assert.Multiple(() =>
        {
            Assert.That(error.StatusCode, Is.EqualTo(HttpStatusCode.InternalServerError));
            Assert.That(Time.HasUnreadTimer, Is.False);
        });
    }

    [Test]
    public async Task Any_200_resets_the_count()
    {
        // With a limit of 2, failure-200-failure-200-failure never gives up; two failures in a row would.
        await using IAsyncEnumerator<ChatStreamingEvent> events = Open(CreateClient(o => o.MaxConsecutiveFailures = 2));
        for (int i = 0; i < 3; i++)
        {
            Task<ChatStreamingEvent> next = NextAsync(events);
            if (i > 0)
            {
                await Time.PassReconnectionDelayAsync(TimeSpan.FromSeconds(1));
            }

            await (await Server.NextRequestAsync()).RespondProblemAsync(500, "flaky");
            await Time.PassReconnectionDelayAsync(TimeSpan.FromSeconds(1));
            ScriptedExchange ok = await Server.NextRequestAsync();
            await ok.StartEventStreamAsync(Sse.Frame(Sent[i]));
            Assert.That(await next, Is.EqualTo(Sent[i]));
            ok.End();
        }

        ValueTask<bool> last = events.MoveNextAsync();
        await Time.PassReconnectionDelayAsync(TimeSpan.FromSeconds(1));
        await (await Server.NextRequestAsync()).RespondProblemAsync(500, "flaky");
        await Time.PassReconnectionDelayAsync(TimeSpan.FromSeconds(1));
        await (await Server.NextRequestAsync()).RespondProblemAsync(500, "gone for good");
        HttpRequestException error = (await Assert.ThrowsAsync<HttpRequestException>(async () => await last.Guarded()))!;
        Assert.That(error.Message, Does.Contain("gone for good"));
    }

    [Test]
    public async Task No_content_ends_the_stream()
    {
        await using IAsyncEnumerator<ChatStreamingEvent> events = Open();
        ValueTask<bool> first = events.MoveNextAsync();
        (await Server.NextRequestAsync()).RespondStatus(204);

        Assert.Multiple(async () =>
        {
            Assert.That(await first.Guarded(), Is.False);
            Assert.That(Time.HasUnreadTimer, Is.False);
        });
    }
}
