using NUnit.Framework;
using StreamingCore.Tests.Support;

namespace StreamingCore.Tests.Hardening;

/// <summary>
/// Finding 4: retained memory is bounded by size as well as by time, oldest first. The events-per-response and
/// responses-per-conversation limits, which every store keeps, are in the shared contract suite (LimitsContract, RetentionContract).
/// </summary>
public class RetentionLimitTests
{
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
            Assert.That(ContractEvents.TextOf(await store.SubscribeAsync("c99", 0).ToListAsync()), Is.EqualTo(text), "the newest stays");
        }
    }
}
