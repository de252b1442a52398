using System.Runtime.CompilerServices;
using NUnit.Framework;
using StreamingCore.Tests.Support;

namespace StreamingCore.Tests.Reliability;

public class LeakTests
{
    private const int Responses = 100_000;
    private static readonly TimeSpan Retention = TimeSpan.FromMinutes(5);

    /// <summary>
    /// 100,000 responses started, streamed (every tenth with a live subscriber), finished and evicted under a
    /// FakeTimeProvider: afterwards the store holds nothing, and a finished response's buffers are collected.
    /// </summary>
    [Test]
    public async Task After_100000_responses_are_evicted_the_store_holds_no_per_response_state()
    {
        (DefaultChatStreamingStore store, Microsoft.Extensions.Time.Testing.FakeTimeProvider time) = StoreFixture.Create(o => o.RetentionPeriod = Retention);
        using (store)
        {
            for (int r = 0; r < Responses; r++)
            {
                string id = $"conversation-{r % 5_000}";
                IAsyncEnumerator<ChatStreamingEvent>? subscriber = null;
                ValueTask<bool> first = default;
                if (r % 10 == 0)
                {
                    // Up to date with the conversation: registers live and waits for the next response.
                    long last = store.GetStatistics(id) is { } s ? s.StartSequence + s.DeltaCount + 1 : 0;
                    subscriber = store.SubscribeAsync(id, last).GetAsyncEnumerator(TestGuard.Token);
                    first = subscriber.MoveNextAsync();
                }

                store.PublishResponse(id, "some ", "text ", "🙂");
                if (subscriber is not null)
                {
                    Assert.That(await first, Is.True);
                    await subscriber.DisposeAsync();
                }

                if (r % 5_000 == 4_999)
                {
                    time.Advance(Retention);
                }
            }

            (WeakReference response, WeakReference conversation) = TrackOneFinishedResponse(store);
            time.Advance(Retention);
            Collector.FullCollect();

            Assert.Multiple(() =>
            {
                Assert.That(store.ConversationCount, Is.Zero);
                Assert.That(store.ActiveResponseCount, Is.Zero);
                Assert.That(store.SubscriberCount, Is.Zero);
                Assert.That(response.IsAlive, Is.False, "the finished response's log was collected");
                Assert.That(conversation.IsAlive, Is.False, "its conversation was collected");
            });
        }
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    private static (WeakReference Response, WeakReference Conversation) TrackOneFinishedResponse(DefaultChatStreamingStore store)
    {
        store.PublishResponse("tracked", "to be ", "collected");
        Conversation conversation = store.FindConversation("tracked")!;
        return (new WeakReference(conversation.Ended[0]), new WeakReference(conversation));
    }
}
