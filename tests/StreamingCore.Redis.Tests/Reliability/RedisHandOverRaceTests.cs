using NUnit.Framework;
using StackExchange.Redis;
using StreamingCore.Redis.Tests.Infrastructure;

namespace StreamingCore.Redis.Tests.Reliability;

/// <summary>
/// Races that the Redis stress run found, reduced to a few lines so that they can be run on their own. They fail on the
/// code they were written against (see docs/reliability.md, "Redis mode"); they are explicit so that CI is not failed
/// twice for what the stress run already reports.
/// </summary>
[NonParallelizable]
public sealed class RedisHandOverRaceTests
{
    private const int Attempts = 20;

    /// <summary>
    /// B follows a conversation (a subscriber waits there). A client reads A's response on A, drops, and resumes on B at
    /// once with the position A gave it. B's mirror has not yet received those events (PUB/SUB is behind, or A's outbox
    /// has not written them), and it waits for a position only while it already mirrors an active response: here it does
    /// not wait, and the valid position is refused with SequenceNotRetained.
    /// </summary>
    [Test]
    public async Task A_position_from_A_is_accepted_on_B_while_Bs_mirror_lags()
    {
        RedisServer server = await SharedRedis.ServerAsync();
        await using ConnectionMultiplexer redisA = await server.ConnectAsync();
        await using ConnectionMultiplexer redisB = await server.ConnectAsync();
        var refusals = new List<string>();
        for (int attempt = 0; attempt < Attempts; attempt++)
        {
            var redisOptions = new RedisChatStreamingOptions { KeyPrefix = TestKeyPrefix.Next() };
            await using var a = new RedisChatStreamingStore(redisA, null, redisOptions);
            await using var b = new RedisChatStreamingStore(redisB, null, redisOptions);
            using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(10));
            IAsyncEnumerator<ChatStreamingEvent> follower = b.SubscribeAsync("c", 0, timeout.Token).GetAsyncEnumerator(timeout.Token);
            ValueTask<bool> followed = follower.MoveNextAsync();
            while (b.Local.WaitingSubscriberCount == 0)
            {
                await Task.Delay(1);
            }

            a.Publish(ChatStreamingEvent.Started("c"));
            ChatStreamingEvent given = a.Publish(ChatStreamingEvent.Delta("c", "1"));
            a.Publish(ChatStreamingEvent.Delta("c", "2"));
            try
            {
                await using IAsyncEnumerator<ChatStreamingEvent> resumed = b.SubscribeAsync("c", given.Position, timeout.Token).GetAsyncEnumerator(timeout.Token);
                ValueTask<bool> next = resumed.MoveNextAsync();
                a.Publish(ChatStreamingEvent.Finished("c"));
                Assert.That(await next, Is.True);
                Assert.That(resumed.Current.Text, Is.EqualTo("2"));
            }
            catch (ChatStreamingException ex) when (ex.Error == ChatStreamingError.SequenceNotRetained)
            {
                refusals.Add($"attempt {attempt}: {ex.Message}");
            }

            Assert.That(await followed, Is.True);
            await follower.DisposeAsync();
        }

        Assert.That(refusals, Is.Empty);
    }

    /// <summary>
    /// A subscription on A stops following a conversation before A's mirror has finished its first read from Redis (here
    /// because <see cref="RedisChatStreamingOptions.OperationTimeout"/> is tiny, so <c>ReadyAsync</c> stops waiting at
    /// once; under load the first read can simply be slow). The read goes on after the mirror was stopped and writes the
    /// beginning of B's active response into A's local store, where nothing will ever end it: A keeps reporting it as
    /// streaming after B finished it, and refuses every new response of the conversation.
    /// </summary>
    [Test]
    public async Task A_mirror_stopped_during_its_first_read_leaves_no_active_replica_behind()
    {
        RedisServer server = await SharedRedis.ServerAsync();
        await using ConnectionMultiplexer redisA = await server.ConnectAsync();
        await using ConnectionMultiplexer redisB = await server.ConnectAsync();
        var orphans = new List<string>();
        string prefix = TestKeyPrefix.Next();
        await using var a = new RedisChatStreamingStore(redisA, null, new RedisChatStreamingOptions { KeyPrefix = prefix, OperationTimeout = TimeSpan.FromTicks(1) });
        await using var b = new RedisChatStreamingStore(redisB, null, new RedisChatStreamingOptions { KeyPrefix = prefix });
        for (int attempt = 0; attempt < Attempts; attempt++)
        {
            string id = $"c{attempt}";
            b.Publish(ChatStreamingEvent.Started(id));
            b.Publish(ChatStreamingEvent.Delta(id, "x"));
            while (b.OutboxLength > 0)
            {
                await Task.Delay(1);
            }

            using (var cts = new CancellationTokenSource())
            {
                IAsyncEnumerator<ChatStreamingEvent> brief = a.SubscribeAsync(id, 0, cts.Token).GetAsyncEnumerator(cts.Token);
                ValueTask<bool> first = brief.MoveNextAsync();
                await cts.CancelAsync();
                try
                {
                    await first;
                }
                catch (OperationCanceledException)
                {
                    // The point: it leaves at once.
                }

                await brief.DisposeAsync();
            }

            b.Publish(ChatStreamingEvent.Finished(id));
        }

        while (b.OutboxLength > 0)
        {
            await Task.Delay(1);
        }

        await Task.Delay(500);
        for (int attempt = 0; attempt < Attempts; attempt++)
        {
            if (a.GetStatistics($"c{attempt}") is { Outcome: ChatResponseOutcome.Streaming })
            {
                orphans.Add($"c{attempt}");
            }
        }

        Assert.That(orphans, Is.Empty, $"conversations that A shows streaming after B finished them; A follows {a.FollowedConversationCount} conversations");
    }

    /// <summary>
    /// A subscriber on A waits, up to date, at the end of A's own response while A's local store has not yet received B's
    /// next response (here A's mirror has not finished its first read: a tiny OperationTimeout; in the stress run, a mirror
    /// that lagged or was gone). A then starts the response after B's: the claim places it past A's last sequence, A's local
    /// store continues there and hands the new Started to the waiting subscriber, which never sees B's response.
    /// </summary>
    [Test]
    public async Task A_waiting_subscriber_never_skips_the_other_instances_response()
    {
        RedisServer server = await SharedRedis.ServerAsync();
        await using ConnectionMultiplexer redisA = await server.ConnectAsync();
        await using ConnectionMultiplexer redisB = await server.ConnectAsync();
        var holes = new List<string>();
        string prefix = TestKeyPrefix.Next();
        await using var a = new RedisChatStreamingStore(redisA, null, new RedisChatStreamingOptions { KeyPrefix = prefix, OperationTimeout = TimeSpan.FromTicks(1) });
        await using var b = new RedisChatStreamingStore(redisB, null, new RedisChatStreamingOptions { KeyPrefix = prefix });
        for (int attempt = 0; attempt < Attempts; attempt++)
        {
            string id = $"c{attempt}";
            a.Publish(ChatStreamingEvent.Started(id));
            ChatStreamingEvent endOfA = a.Publish(ChatStreamingEvent.Finished(id));
            while (a.OutboxLength > 0)
            {
                await Task.Delay(1);
            }

            ChatStreamingEvent startOfB = b.Publish(ChatStreamingEvent.Started(id));
            b.Publish(ChatStreamingEvent.Delta(id, "from B"));
            b.Publish(ChatStreamingEvent.Finished(id));
            while (b.OutboxLength > 0)
            {
                await Task.Delay(1);
            }

            using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(10));
            await using IAsyncEnumerator<ChatStreamingEvent> waiting = a.SubscribeAsync(id, endOfA.Position, timeout.Token).GetAsyncEnumerator(timeout.Token);
            ValueTask<bool> first = waiting.MoveNextAsync();
            ChatStreamingEvent next = default;
            while (next.Sequence == 0)
            {
                try
                {
                    next = a.Publish(ChatStreamingEvent.Started(id));
                }
                catch (ChatStreamingException ex) when (ex.Error == ChatStreamingError.ResponseAlreadyStarted)
                {
                    await Task.Delay(1);
                }
            }

            Assert.That(await first, Is.True);
            if (waiting.Current.Sequence != startOfB.Sequence)
            {
                holes.Add($"{id}: waited after {endOfA.Sequence}, got {waiting.Current.Kind} {waiting.Current.Sequence}; B's response was {startOfB.Sequence}..{startOfB.Sequence + 2}");
            }

            a.Publish(ChatStreamingEvent.Finished(id));
        }

        Assert.That(holes, Is.Empty);
    }
}
