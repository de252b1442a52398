using NUnit.Framework;
using StreamingCore.Client.Tests.Support;

namespace StreamingCore.Client.Tests.Resume;

/// <summary>Reconnection with Last-Event-ID after the server's retry:, and exactly-once delivery across drops.</summary>
public class ResumeTests : ScriptedServerTest
{
    private static readonly ChatStreamingEvent[] Sent = Sse.Response(10);

    [Test]
    public async Task After_a_normal_end_of_the_body_it_reconnects_after_the_servers_retry_with_Last_Event_ID()
    {
        await using IAsyncEnumerator<ChatStreamingEvent> events = Open();
        Task<List<ChatStreamingEvent>> reading = NextAsync(events, 3);
        ScriptedExchange first = await Server.NextRequestAsync();
        await first.StartEventStreamAsync(Sse.Retry(TimeSpan.FromMilliseconds(2500)) + Sse.Frames(Sent[..2]));
        first.End();

        await Time.PassReconnectionDelayAsync(TimeSpan.FromMilliseconds(2500));
        ScriptedExchange second = await Server.NextRequestAsync();
        Assert.That(second.LastEventId, Is.EqualTo("e1:2"));
        await second.StartEventStreamAsync(Sse.Frame(Sent[2]));

        Assert.That(await reading, Is.EqualTo(Sent[..3]));
    }

    [Test]
    public async Task A_reset_mid_stream_resumes_and_is_not_a_failed_attempt()
    {
        // One failed attempt would end the stream: a drop after a 200 is not one.
        await using IAsyncEnumerator<ChatStreamingEvent> events = Open(CreateClient(o => o.MaxConsecutiveFailures = 1));
        for (int i = 0; i < 4; i++)
        {
            Task<ChatStreamingEvent> next = NextAsync(events);
            if (i > 0)
            {
                await Time.PassReconnectionDelayAsync(TimeSpan.FromSeconds(1)); // no retry: yet, so 1 s
            }

            ScriptedExchange request = await Server.NextRequestAsync();
            Assert.That(request.LastEventId, Is.EqualTo(i == 0 ? null : Sent[i - 1].Position.ToString()));
            await request.StartEventStreamAsync(Sse.Frame(Sent[i]));
            Assert.That(await next, Is.EqualTo(Sent[i]));
            request.Reset(); // read by the next MoveNextAsync
        }
    }

    [TestCase(false, TestName = "A body that ends normally mid-event")]
    [TestCase(true, TestName = "A connection reset mid-event")]
    public async Task Half_an_event_is_never_yielded_and_the_whole_event_comes_once_after_the_resume(bool reset)
    {
        await using IAsyncEnumerator<ChatStreamingEvent> events = Open();
        Task<List<ChatStreamingEvent>> reading = NextAsync(events, 2);
        ScriptedExchange first = await Server.NextRequestAsync();
        string third = Sse.Frame(Sent[2]);
        await first.StartEventStreamAsync(Sse.Frames(Sent[..2]));
        Assert.That(await reading, Is.EqualTo(Sent[..2]));

        Task<ChatStreamingEvent> next = NextAsync(events);
        await first.WriteAsync(third[..(third.Length - 20)]); // id, event and part of data; no blank line
        if (reset)
        {
            first.Reset();
        }
        else
        {
            first.End();
        }

        await Time.PassReconnectionDelayAsync(TimeSpan.FromSeconds(1));
        ScriptedExchange second = await Server.NextRequestAsync();
        Assert.That(second.LastEventId, Is.EqualTo("e1:2"), "the half event's id was not taken");
        await second.StartEventStreamAsync(third + Sse.Frame(Sent[3]));

        Assert.That(await next, Is.EqualTo(Sent[2]));
        Assert.That(await NextAsync(events), Is.EqualTo(Sent[3]));
    }

    [Test]
    public async Task A_server_that_replays_from_too_early_never_makes_the_client_see_an_event_twice()
    {
        await using IAsyncEnumerator<ChatStreamingEvent> events = Open();
        Task<List<ChatStreamingEvent>> reading = NextAsync(events, 4);
        ScriptedExchange first = await Server.NextRequestAsync();
        await first.StartEventStreamAsync(Sse.Frames(Sent[..4]));
        Assert.That(await reading, Is.EqualTo(Sent[..4]));

        reading = NextAsync(events, 3);
        first.End();
        await Time.PassReconnectionDelayAsync(TimeSpan.FromSeconds(1));
        ScriptedExchange second = await Server.NextRequestAsync();
        Assert.That(second.LastEventId, Is.EqualTo("e1:4"));
        // From the start, then 5 and 6, then 6 and 5 again, then 7.
        await second.StartEventStreamAsync(Sse.Frames(Sent[..6]) + Sse.Frame(Sent[5]) + Sse.Frame(Sent[4]) + Sse.Frame(Sent[6]));

        Assert.That(await reading, Is.EqualTo(Sent[4..7]));
    }

    [Test]
    public async Task It_starts_after_the_callers_position_and_skips_what_is_at_or_before_it()
    {
        await using IAsyncEnumerator<ChatStreamingEvent> events = Open(after: Sent[2].Position);
        Task<List<ChatStreamingEvent>> reading = NextAsync(events, 2);
        ScriptedExchange request = await Server.NextRequestAsync();
        Assert.That(request.LastEventId, Is.EqualTo("e1:3"));
        await request.StartEventStreamAsync(Sse.Frames(Sent[1..5]));

        Assert.That(await reading, Is.EqualTo(Sent[3..5]));
    }

    [Test]
    public async Task The_servers_retry_persists_across_connections_until_a_new_one_arrives()
    {
        string[] prefixes = [Sse.Retry(TimeSpan.FromMilliseconds(2500)), "", Sse.Retry(TimeSpan.FromMilliseconds(400)), "", ""];
        TimeSpan[] waits = [TimeSpan.FromMilliseconds(2500), TimeSpan.FromMilliseconds(2500), TimeSpan.FromMilliseconds(400), TimeSpan.FromMilliseconds(400)];
        await using IAsyncEnumerator<ChatStreamingEvent> events = Open();
        for (int i = 0; i < prefixes.Length; i++)
        {
            Task<ChatStreamingEvent> next = NextAsync(events);
            if (i > 0)
            {
                await Time.PassReconnectionDelayAsync(waits[i - 1]);
            }

            ScriptedExchange request = await Server.NextRequestAsync();
            await request.StartEventStreamAsync(prefixes[i] + Sse.Frame(Sent[i]));
            Assert.That(await next, Is.EqualTo(Sent[i]));
            request.End();
        }
    }

    [Test]
    public async Task Every_wait_is_capped_by_MaxReconnectionDelay()
    {
        await using IAsyncEnumerator<ChatStreamingEvent> events = Open(CreateClient(o => o.MaxReconnectionDelay = TimeSpan.FromSeconds(5)));
        Task<ChatStreamingEvent> next = NextAsync(events);
        ScriptedExchange first = await Server.NextRequestAsync();
        await first.StartEventStreamAsync(Sse.Retry(TimeSpan.FromMinutes(10)) + Sse.Frame(Sent[0]));
        Assert.That(await next, Is.EqualTo(Sent[0]));

        next = NextAsync(events);
        first.End();
        await Time.PassReconnectionDelayAsync(TimeSpan.FromSeconds(5));
        ScriptedExchange second = await Server.NextRequestAsync();
        await second.StartEventStreamAsync(Sse.Frame(Sent[1]));
        Assert.That(await next, Is.EqualTo(Sent[1]));
    }

    [Test]
    public async Task A_zero_MaxReconnectionDelay_reconnects_at_once()
    {
        await using IAsyncEnumerator<ChatStreamingEvent> events = Open(CreateClient(o => o.MaxReconnectionDelay = TimeSpan.Zero));
        Task<ChatStreamingEvent> next = NextAsync(events);
        ScriptedExchange first = await Server.NextRequestAsync();
        await first.StartEventStreamAsync(Sse.Frame(Sent[0]));
        Assert.That(await next, Is.EqualTo(Sent[0]));

        next = NextAsync(events);
        first.End();
        ScriptedExchange second = await Server.NextRequestAsync(); // the clock never moved
        await second.StartEventStreamAsync(Sse.Frame(Sent[1]));
        Assert.Multiple(async () =>
        {
            Assert.That(await next, Is.EqualTo(Sent[1]));
            Assert.That(Time.HasUnreadTimer, Is.False);
        });
    }

    [Test]
    public async Task Exactly_once_and_in_order_across_many_drops_of_every_kind()
    {
        // Seeded: each connection replays from up to three events too early, sends a few new ones, and ends normally,
        // resets, or is cut in the middle of an event; one attempt in five is a 503 first. The client must yield 1..N once each.
        const int Total = 300;
        ChatStreamingEvent[] sent = Sse.Response(Total);
        var random = new Random(8);
        var received = new List<ChatStreamingEvent>();
        await using IAsyncEnumerator<ChatStreamingEvent> events = Open();
        TimeSpan wait = TimeSpan.FromSeconds(1);
        int connections = 0;
        bool first = true;
        while (received.Count < Total)
        {
            Task<ChatStreamingEvent> next = NextAsync(events);
            if (!first)
            {
                await Time.PassReconnectionDelayAsync(wait);
            }

            first = false;
            ScriptedExchange request = await Server.NextRequestAsync();
            long last = received.Count == 0 ? 0 : received[^1].Sequence;
            Assert.That(request.LastEventId, Is.EqualTo(last == 0 ? null : $"e1:{last}"), "Last-Event-ID is the last event yielded");
            if (random.Next(5) == 0)
            {
                await request.RespondProblemAsync(503, "busy");
                await Time.PassReconnectionDelayAsync(wait);
                request = await Server.NextRequestAsync();
            }

            connections++;
            int from = (int)Math.Max(0, last - random.Next(4));
            int to = Math.Min(Total, (int)last + random.Next(1, 12));
            string retry = random.Next(3) == 0 ? Sse.Retry(wait = TimeSpan.FromMilliseconds(random.Next(1, 5000))) : string.Empty;
            await request.StartEventStreamAsync(retry + Sse.Frames(sent[from..to]));
            for (int sequence = (int)last + 1; sequence <= to; sequence++)
            {
                received.Add(await next);
                next = sequence < to ? NextAsync(events) : next;
            }

            if (received.Count == Total)
            {
                break;
            }

            switch (random.Next(3))
            {
                case 0: request.End(); break;
                case 1: request.Reset(); break;
                default:
                    string half = Sse.Frame(sent[to]);
                    await request.WriteAsync(half[..random.Next(1, half.Length - 1)]);
                    request.Reset();
                    break;
            }
        }

        Assert.Multiple(() =>
        {
            Assert.That(received, Is.EqualTo(sent));
            Assert.That(connections, Is.GreaterThan(30));
        });
    }
}
