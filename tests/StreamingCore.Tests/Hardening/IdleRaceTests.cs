using NUnit.Framework;
using StreamingCore.Tests.Support;

namespace StreamingCore.Tests.Hardening;

/// <summary>Finding 6: the idle timeout re-checks under the conversation's lock, so a delta that won the race keeps the response alive.</summary>
public class IdleRaceTests
{
    [Test]
    public async Task A_delta_accepted_while_the_idle_timer_waits_for_the_lock_keeps_the_response_alive()
    {
        TimeSpan idle = TimeSpan.FromSeconds(30);
        (DefaultChatStreamingStore store, Microsoft.Extensions.Time.Testing.FakeTimeProvider time) = StoreFixture.Create(o => o.IdleTimeout = idle);
        using (store)
        {
            store.Publish(ChatStreamingEvent.Started("c"));
            object gate = store.FindConversation("c")!.Gate;

            Thread timerThread;
            lock (gate)
            {
                // The timer fires on the thread that advances the clock; it finds the response idle and waits for the lock.
                timerThread = new Thread(() => time.Advance(idle)) { IsBackground = true };
                timerThread.Start();
                SpinWait.SpinUntil(() => (timerThread.ThreadState & ThreadState.WaitSleepJoin) != 0);

                // Meanwhile the producer (re-entering the lock this test holds) publishes: the response is not idle any more.
                store.Publish(ChatStreamingEvent.Delta("c", "just in time"));
            }

            Assert.That(timerThread.Join(TimeSpan.FromSeconds(30)), Is.True);
            Assert.That(store.ActiveResponseCount, Is.EqualTo(1), "no Failed(idle timeout) right after an accepted delta");
            store.Publish(ChatStreamingEvent.Finished("c"));
            List<ChatStreamingEvent> events = await store.SubscribeAsync("c").ToListAsync();
            Assert.That(events.Select(e => e.Kind), Is.EqualTo(new[] { ChatStreamingEventKind.Started, ChatStreamingEventKind.Delta, ChatStreamingEventKind.Finished }));

            // And it still times out once it really is idle.
            store.Publish(ChatStreamingEvent.Started("c"));
            time.Advance(idle);
            Assert.That(store.ActiveResponseCount, Is.Zero);
        }
    }
}
