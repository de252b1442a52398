using NUnit.Framework;

namespace StreamingCore.Testing.Contract;

/// <summary>
/// The idle timeout ends a silent response with Failed, and the waiting timeout ends a subscription whose response
/// never starts; both on the shared FakeTimeProvider. The Producer's timers fire while the clock is advanced, and a
/// Reader on another instance may learn of it later, so the tests await the subscriber's end.
/// </summary>
/// <param name="target">The implementation under test.</param>
[TestFixtureSource(typeof(ContractTargets), nameof(ContractTargets.All))]
public class TimeoutContract(IStoreTarget target) : StoreContract(target)
{
    private static readonly TimeSpan Idle = TimeSpan.FromSeconds(30);
    private static readonly TimeSpan Tick = TimeSpan.FromTicks(1);

    [Test]
    public async Task A_response_with_no_event_for_the_idle_timeout_fails_and_is_released()
    {
        await using StoreUnderTest store = await CreateAsync(o => o.IdleTimeout = Idle);
        store.Producer.Publish(ChatStreamingEvent.Started("c"));
        Task<List<ChatStreamingEvent>> subscriber = store.Reader.SubscribeAsync("c").ReadAllAsync();
        await store.SubscribedAsync("c", 1).Guarded();
        store.Time.Advance(Idle - Tick);
        store.Producer.Publish(ChatStreamingEvent.Delta("c", "still here"));
        store.Time.Advance(Idle - Tick);
        Assert.That(store.ActiveResponseCount, Is.EqualTo(1), "each event restarts the idle time");

        store.Time.Advance(Tick);

        List<ChatStreamingEvent> received = await subscriber.Guarded();
        Assert.Multiple(() =>
        {
            Assert.That(ContractEvents.Sequences(received), Is.EqualTo(new long[] { 1, 2, 3 }));
            Assert.That(ContractEvents.TextOf(received), Is.EqualTo("still here"));
            Assert.That(received[^1].Kind, Is.EqualTo(ChatStreamingEventKind.Failed));
            Assert.That(received[^1].Error, Is.EqualTo("idle timeout"));
            Assert.That(received[^1].Sequence, Is.EqualTo(3));
            Assert.That(store.ActiveResponseCount, Is.Zero);
            Assert.That(store.GetStatistics("c")!.Outcome, Is.EqualTo(ChatResponseOutcome.IdleTimeout));
            Assert.That(() => store.Producer.Publish(ChatStreamingEvent.Delta("c", "late")), Throws.InstanceOf<ChatStreamingException>());
        });
    }

    [Test]
    public async Task An_abandoned_waiter_is_released_after_the_waiting_timeout()
    {
        await using StoreUnderTest store = await CreateAsync();
        ValueTask<bool> pending = store.Reader.SubscribeAsync("never").GetAsyncEnumerator(TestGuard.Token).MoveNextAsync();
        await store.SubscribedAsync("never", 1).Guarded();

        store.Time.Advance(TimeSpan.FromDays(30));

        var ex = await Assert.ThrowsAsync<ChatStreamingException>(async () => await pending.Guarded());
        Assert.That(ex!.Error, Is.EqualTo(ChatStreamingError.WaitTimedOut));
        await store.SubscribedAsync("never", 0).Guarded();
        await store.ReleasedAsync("never").Guarded();
    }

    [Test]
    public async Task A_waiter_whose_response_starts_in_time_is_not_expired()
    {
        await using StoreUnderTest store = await CreateAsync(o => o.IdleTimeout = Timeout.InfiniteTimeSpan);
        Task<List<ChatStreamingEvent>> subscriber = store.Reader.SubscribeAsync("c").ReadAllAsync();
        await store.SubscribedAsync("c", 1).Guarded();
        store.Time.Advance(TimeSpan.FromMinutes(1));
        ChatStreamingEvent started = store.Producer.Publish(ChatStreamingEvent.Started("c"));

        // The waiter stops waiting when its Reader hands it Started, which on another instance comes a little later.
        await store.DeliveredAsync("c", started.Sequence).Guarded();
        store.Time.Advance(TimeSpan.FromDays(1));
        store.Producer.Publish(ChatStreamingEvent.Delta("c", "late but live"));
        store.Producer.Publish(ChatStreamingEvent.Finished("c"));

        List<ChatStreamingEvent> received = await subscriber.Guarded();
        Assert.That(ContractEvents.TextOf(received), Is.EqualTo("late but live"));
        Assert.That(ContractEvents.Sequences(received), Is.EqualTo(new long[] { 1, 2, 3 }));
    }
}
