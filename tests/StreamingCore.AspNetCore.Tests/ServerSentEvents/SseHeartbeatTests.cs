using NUnit.Framework;
using StreamingCore.AspNetCore.Tests.Support;

namespace StreamingCore.AspNetCore.Tests.ServerSentEvents;

/// <summary>
/// Heartbeats on an idle SSE connection: one per interval, from one timer that the connection re-arms, with the pending
/// MoveNextAsync that each heartbeat overtakes continued afterwards (never a second one).
/// </summary>
public class SseHeartbeatTests
{
    private const string Conversation = "heartbeat";

    [Test]
    public async Task An_idle_connection_sends_one_heartbeat_per_interval_from_a_single_timer()
    {
        const int Heartbeats = 5;
        await using TestApp app = await TestApp.StartAsync();
        using SseStream stream = await OpenPastFirstHeartbeatAsync(app);

        for (int i = 2; i <= Heartbeats; i++)
        {
            await app.Time.WaitForTimersAsync(TestApp.Heartbeat, i);
            app.Time.Advance(TestApp.Heartbeat - TimeSpan.FromTicks(1));
            app.Time.Advance(TimeSpan.FromTicks(1));
            await ExpectHeartbeatAsync(stream);
        }

        // Nothing else was written meanwhile: the next lines are the next event's.
        await app.Time.WaitForTimersAsync(TestApp.Heartbeat, Heartbeats + 1);
        ChatStreamingEvent started = app.Store.Publish(ChatStreamingEvent.Started(Conversation));
        Assert.That(await stream.ReadLineAsync(), Is.EqualTo($"id: {started.Position}"));
        Assert.That(app.Time.TimersCreated(TestApp.Heartbeat), Is.EqualTo(1), "one heartbeat timer per connection, re-armed for each interval");
    }

    [Test]
    public async Task The_move_that_heartbeats_overtook_delivers_every_event_once_in_order_and_the_cadence_holds()
    {
        await using TestApp app = await TestApp.StartAsync();
        using SseStream stream = await OpenPastFirstHeartbeatAsync(app);

        // Two more heartbeats overtake the same MoveNextAsync; the subscription is still the first one.
        for (int i = 2; i <= 3; i++)
        {
            await app.Time.WaitForTimersAsync(TestApp.Heartbeat, i);
            app.Time.Advance(TestApp.Heartbeat);
            await ExpectHeartbeatAsync(stream);
        }

        // Events between two heartbeats: each ends a wait without pushing the next heartbeat back.
        await app.Time.WaitForTimersAsync(TestApp.Heartbeat, 4);
        app.Time.Advance(TestApp.Heartbeat / 2);
        ChatStreamingEvent[] published =
        [
            app.Store.Publish(ChatStreamingEvent.Started(Conversation)),
            app.Store.Publish(ChatStreamingEvent.Delta(Conversation, "one")),
        ];
        Assert.That(await ReadEventIdsAsync(stream, 2), Is.EqualTo(published.Select(e => e.Position.ToString())));
        ChatStreamingEvent finished = app.Store.Publish(ChatStreamingEvent.Finished(Conversation));
        Assert.That(await ReadEventIdsAsync(stream, 1), Is.EqualTo(new[] { finished.Position.ToString() }));
        app.Time.Advance(TestApp.Heartbeat - (TestApp.Heartbeat / 2));
        await ExpectHeartbeatAsync(stream);

        // The next response, after another heartbeat: the follower resubscribed after Finished and goes on.
        await app.Time.WaitForTimersAsync(TestApp.Heartbeat, 5);
        app.Time.Advance(TestApp.Heartbeat);
        await ExpectHeartbeatAsync(stream);
        ChatStreamingEvent next = app.Store.Publish(ChatStreamingEvent.Started(Conversation));
        Assert.That(await ReadEventIdsAsync(stream, 1), Is.EqualTo(new[] { next.Position.ToString() }));
        Assert.That(app.Store.Subscribed.Value, Is.EqualTo(2), "one subscription per response, none for a heartbeat");
    }

    [Test]
    public async Task The_app_stopping_while_heartbeats_overtook_the_move_ends_the_body_and_releases_the_subscription()
    {
        await using TestApp app = await TestApp.StartAsync();
        using SseStream stream = await OpenPastFirstHeartbeatAsync(app);
        await app.Time.WaitForTimersAsync(TestApp.Heartbeat, 2);

        // No clock moves: the stop alone ends the wait.
        app.StopApplication();

        Assert.That(await stream.ReadLineAsync(), Is.Null, "the body ended");
        await app.Store.Released.WaitForAsync(1);
    }

    /// <summary>Opens the conversation's stream; its headers come with the first heartbeat, one interval in.</summary>
    private static async Task<SseStream> OpenPastFirstHeartbeatAsync(TestApp app)
    {
        Task<SseStream> opening = SseStream.OpenAsync(app.Client, TestApp.EventsPath(Conversation));
        await app.Time.WaitForTimersAsync(TestApp.Heartbeat, 1);
        app.Time.Advance(TestApp.Heartbeat);
        SseStream stream = await opening.Guarded();
        Assert.That(new[] { await stream.ReadLineAsync(), await stream.ReadLineAsync() }, Is.EqualTo(new[] { "retry: 3000", string.Empty }));
        await ExpectHeartbeatAsync(stream);
        return stream;
    }

    private static async Task ExpectHeartbeatAsync(SseStream stream)
        => Assert.That(new[] { await stream.ReadLineAsync(), await stream.ReadLineAsync() }, Is.EqualTo(new[] { ": heartbeat", string.Empty }));

    /// <summary>Reads <paramref name="count"/> whole events (through each one's blank line) and returns their ids.</summary>
    private static async Task<List<string>> ReadEventIdsAsync(SseStream stream, int count)
    {
        List<string> ids = [];
        int ended = 0;
        while (ended < count)
        {
            string line = await stream.ReadLineAsync() ?? throw new InvalidOperationException("The body ended.");
            Assert.That(line, Does.Not.StartWith(":"), "no heartbeat before the interval");
            if (line.StartsWith("id: ", StringComparison.Ordinal))
            {
                ids.Add(line["id: ".Length..]);
            }
            else if (line.Length == 0)
            {
                ended++;
            }
        }

        return ids;
    }
}
