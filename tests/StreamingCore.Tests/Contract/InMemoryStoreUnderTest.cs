using Microsoft.Extensions.Time.Testing;
using NUnit.Framework;
using StreamingCore.Testing.Contract;

namespace StreamingCore.Tests.Contract;

/// <summary>
/// A <see cref="DefaultChatStreamingStore"/> under the contract suite. Publish fans out and releases before it
/// returns, and a subscription registers on its first MoveNextAsync, so every signal checks its state at once and
/// fails right away (instead of waiting for the test guard) when the state is not what the test expects. Through a
/// <see cref="DeferredReader"/>, registration comes later, so <see cref="SubscribedAsync"/> then waits for it.
/// </summary>
internal sealed class InMemoryStoreUnderTest(DefaultChatStreamingStore store, FakeTimeProvider time, bool deferReader) : StoreUnderTest
{
    /// <summary>The reader subscriptions go through, if deferred; else <see langword="null"/> and they go to the store.</summary>
    private readonly DeferredReader? _deferred = deferReader ? new DeferredReader(store) : null;

    public override IChatStreamingStore Producer => store;

    public override IChatStreamingStore Reader => (IChatStreamingStore?)_deferred ?? store;

    public override FakeTimeProvider Time => time;

    public override int ActiveResponseCount => store.ActiveResponseCount;

    public override long DroppedEventCount => store.DroppedEventCount;

    public override ChatResponseStatistics? GetStatistics(string conversationId) => store.GetStatistics(conversationId);

    public override IReadOnlyList<ChatResponseStatistics> GetResponseStatistics(string conversationId) => store.GetResponseStatistics(conversationId);

    public override async Task SubscribedAsync(string conversationId, int count)
    {
        while (true)
        {
            // Taken before the check, so a registration between the check and the wait is not missed.
            Task changed = _deferred?.NextChange ?? Task.CompletedTask;
            int registered = store.FindConversation(conversationId)?.Subscribers.Length ?? 0;
            if (registered == count)
            {
                return;
            }

            if (_deferred is null)
            {
                throw new AssertionException($"{count} subscription(s) to '{conversationId}' should be registered once the first MoveNextAsync was called; {registered} are.");
            }

            await changed.ConfigureAwait(false);
        }
    }

    public override Task DeliveredAsync(string conversationId, long sequence)
    {
        // Publish hands an event to every subscription's queue before it returns; this only checks that the
        // sequence was published at all (a released conversation has delivered everything it had).
        Conversation? conversation = store.FindConversation(conversationId);
        long last = conversation is null ? long.MaxValue : LastStamped(conversation);
        return last >= sequence ? Task.CompletedTask : Fail($"'{conversationId}' has published up to {last}, not {sequence}.");
    }

    public override Task ReleasedAsync(string conversationId)
        => store.FindConversation(conversationId) is { } conversation
            ? Fail($"'{conversationId}' is still held: {Describe(conversation)}.")
            : Task.CompletedTask;

    public override Task NotRetainedAsync(string conversationId, long throughSequence)
    {
        if (store.FindConversation(conversationId) is not { } conversation)
        {
            return Task.CompletedTask;
        }

        long oldest;
        lock (conversation.Gate)
        {
            oldest = conversation.OldestRetainedSequence;
        }

        return oldest == 0 || oldest > throughSequence
            ? Task.CompletedTask
            : Fail($"'{conversationId}' still retains sequence {oldest}, at or before {throughSequence}.");
    }

    protected override ValueTask DisposeAsyncCore()
    {
        store.Dispose();
        return ValueTask.CompletedTask;
    }

    private static long LastStamped(Conversation conversation)
    {
        lock (conversation.Gate)
        {
            return conversation.Sequencer.LastStamped;
        }
    }

    private static string Describe(Conversation conversation)
    {
        lock (conversation.Gate)
        {
            return $"active {conversation.Active is not null}, {conversation.Ended.Count} retained response(s), {conversation.Subscribers.Length} subscription(s)";
        }
    }

    private static Task Fail(string message) => Task.FromException(new AssertionException(message));
}
