using NUnit.Framework;
using StreamingCore.Tests.Support;

namespace StreamingCore.Tests.Hardening;

/// <summary>Finding 4: retained memory is bounded by size as well as by time, oldest first.</summary>
public class RetentionLimitTests
{
    [Test]
    public void A_response_of_endless_empty_deltas_is_refused_at_the_events_limit_and_can_still_end()
    {
        (DefaultChatStreamingStore store, _) = StoreFixture.Create(o => o.IdleTimeout = Timeout.InfiniteTimeSpan);
        using (store)
        {
            store.Publish(ChatStreamingEvent.Started("c"));
            ChatStreamingException? refused = null;
            int accepted = 0;
            for (int i = 0; i < 1_000_000 && refused is null; i++)
            {
                try
                {
                    store.Publish(ChatStreamingEvent.Delta("c", string.Empty));
                    accepted++;
                }
                catch (ChatStreamingException ex)
                {
                    refused = ex;
                }
            }

            Assert.That(refused, Is.Not.Null, "a response cannot grow by empty deltas without limit");
            Assert.Multiple(() =>
            {
                Assert.That(refused!.Error, Is.EqualTo(ChatStreamingError.ResponseTooLong));
                Assert.That(refused.Message, Does.Contain("MaxEventsPerResponse"));
                Assert.That(accepted + 2, Is.EqualTo(new ChatStreamingOptions().MaxEventsPerResponse), "Started, the deltas and room for the end");
            });
            Assert.That(store.Publish(ChatStreamingEvent.Finished("c")).Kind, Is.EqualTo(ChatStreamingEventKind.Finished));
        }
    }

    [Test]
    public async Task A_conversation_retains_a_bounded_number_of_responses_oldest_evicted_first()
    {
        (DefaultChatStreamingStore store, _) = StoreFixture.Create();
        using (store)
        {
            int limit = new ChatStreamingOptions().MaxRetainedResponsesPerConversation;
            var firsts = new List<ChatStreamingEvent>();
            for (int i = 0; i < limit + 10; i++)
            {
                firsts.Add(store.PublishResponse("c", $"answer {i}")[0]);
            }

            Assert.That(store.GetResponseStatistics("c"), Has.Count.EqualTo(limit));
            var ex = await Assert.ThrowsAsync<ChatStreamingException>(async () => await store.SubscribeAsync("c", firsts[9].Position).ToListAsync());
            Assert.That(ex!.Error, Is.EqualTo(ChatStreamingError.SequenceNotRetained));
            List<ChatStreamingEvent> oldestKept = await store.SubscribeAsync("c", new ChatStreamPosition(firsts[10].Epoch!, firsts[10].Sequence - 1)).ToListAsync();
            Assert.That(StoreFixture.TextOf(oldestKept), Is.EqualTo("answer 10"));
        }
    }

    [Test]
    public async Task The_store_evicts_its_oldest_retained_responses_when_retained_bytes_exceed_the_limit()
    {
        (DefaultChatStreamingStore store, _) = StoreFixture.Create(o => o.MaxRetainedBytes = 64 * 1024);
        using (store)
        {
            string text = new('x', 2_000);
            var firsts = new List<ChatStreamingEvent>();
            for (int i = 0; i < 100; i++)
            {
                firsts.Add(store.PublishResponse($"c{i}", text)[0]);
            }

            Assert.That(store.RetainedBytes, Is.LessThanOrEqualTo(64 * 1024));
            Assert.That(store.ConversationCount, Is.LessThan(100).And.GreaterThan(5));
            var ex = await Assert.ThrowsAsync<ChatStreamingException>(async () => await store.SubscribeAsync("c0", firsts[0].Position).ToListAsync());
            Assert.That(ex!.Error, Is.EqualTo(ChatStreamingError.SequenceNotRetained));
            Assert.That(StoreFixture.TextOf(await store.SubscribeAsync("c99", 0).ToListAsync()), Is.EqualTo(text), "the newest stays");
        }
    }
}
