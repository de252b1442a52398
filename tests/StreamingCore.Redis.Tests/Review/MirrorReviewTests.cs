using NUnit.Framework;
using StreamingCore.Redis.Tests.Infrastructure;
using StreamingCore.Redis.Tests.Support;
using StreamingCore.Testing.Contract;

namespace StreamingCore.Redis.Tests.Review;

/// <summary>Review: what a conversation's mirror keeps.</summary>
public sealed class MirrorReviewTests
{
    private const string Id = "conv-1";

    /// <summary>
    /// Resumes from positions ahead of a mirrored active response wait OperationTimeout for it, then fail with
    /// SequenceNotRetained. Each must leave nothing behind in the mirror: a client retrying a bad position must not grow it.
    /// </summary>
    [Test]
    public async Task Resumes_ahead_of_a_mirrored_response_that_time_out_leave_no_waiter_behind()
    {
        RedisServer server = await SharedRedis.ServerAsync().Guarded();
        await using Instances instances = await Instances.StartAsync(server.ConnectionString, 2).Guarded();
        RedisChatStreamingStore a = instances[0];
        RedisChatStreamingStore b = instances[1];
        ChatStreamingEvent started = a.Publish(ChatStreamingEvent.Started(Id));
        await a.FlushAsync().Guarded();
        Task<List<ChatStreamingEvent>> keeper = b.SubscribeAsync(Id, new ChatStreamPosition(started.Epoch!, 0)).ReadAllAsync();
        await b.WhenSubscribedAsync(Id).Guarded();

        for (int i = 0; i < 3; i++)
        {
            // The mirror is ready, so the catch-up wait is registered before SubscribeAsync's first await returns.
            Task<List<ChatStreamingEvent>> ahead = b.SubscribeAsync(Id, new ChatStreamPosition(started.Epoch!, 1_000 + i)).ReadAllAsync();
            instances.Time.Advance(new RedisChatStreamingOptions().OperationTimeout);
            ChatStreamingException? refusal = await Assert.ThrowsAsync<ChatStreamingException>(async () => await ahead.Guarded());
            Assert.That(refusal!.Error, Is.EqualTo(ChatStreamingError.SequenceNotRetained));
        }

        Assert.That(CatchUps(b), Is.Zero, "waiters of timed-out resumes are still held");
        a.Publish(ChatStreamingEvent.Finished(Id));
        await keeper.Guarded();
    }

    private static int CatchUps(RedisChatStreamingStore store)
    {
        const System.Reflection.BindingFlags Private = System.Reflection.BindingFlags.NonPublic | System.Reflection.BindingFlags.Instance;
        var mirrors = (System.Collections.IDictionary)typeof(RedisChatStreamingStore).GetField("_mirrors", Private)!.GetValue(store)!;
        object mirror = mirrors[Id]!;
        return ((System.Collections.ICollection)mirror.GetType().GetField("_catchUps", Private)!.GetValue(mirror)!).Count;
    }
}
