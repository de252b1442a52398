using NUnit.Framework;
using StreamingCore.Tests.Support;

namespace StreamingCore.Tests.Store;

/// <summary>
/// Retention leaves no state behind in <see cref="DefaultChatStreamingStore"/>. Idle timeout and retention as every store
/// keeps them are in the shared contract suite (TimeoutContract, RetentionContract).
/// </summary>
public class EvictionTests
{
    private static readonly TimeSpan Retention = TimeSpan.FromMinutes(5);

    [Test]
    public void Thousands_of_responses_leave_no_state_behind_after_retention()
    {
        (DefaultChatStreamingStore store, Microsoft.Extensions.Time.Testing.FakeTimeProvider time) = StoreFixture.Create(o => o.RetentionPeriod = Retention);
        using (store)
        {
            for (int i = 0; i < 5_000; i++)
            {
                store.PublishResponse($"c{i}", "x", "y");
            }

            Assert.That(store.ConversationCount, Is.EqualTo(5_000));
            time.Advance(Retention);
            Assert.Multiple(() =>
            {
                Assert.That(store.ConversationCount, Is.Zero);
                Assert.That(store.ActiveResponseCount, Is.Zero);
            });
        }
    }
}
