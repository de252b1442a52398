using Microsoft.Extensions.Time.Testing;

namespace StreamingCore.Testing.Contract;

/// <summary>
/// A store as the contract suite drives it: events are published on <see cref="Producer"/> and read through
/// <see cref="Reader"/>, which is the same object for a single-instance store and another instance for a
/// shared (e.g. Redis) one. The contract tests never assume that the Reader sees an event when Publish returns;
/// where a test has to know that something reached the Reader, it awaits one of the signals below, which a
/// single-instance store completes at once.
/// </summary>
/// <remarks>
/// The signals that check a state (<see cref="SubscribedAsync"/>, <see cref="DeliveredAsync"/>,
/// <see cref="ReleasedAsync"/>, <see cref="NotRetainedAsync"/>) complete when the state is reached. An implementation
/// whose state is reached synchronously checks it at once and fails with a message that says what was found
/// instead; an asynchronous one awaits it. The tests bound every wait with a guard, so a state that is never reached
/// fails the test instead of hanging it.
/// </remarks>
public abstract class StoreUnderTest : IAsyncDisposable
{
    /// <summary>Gets the store where the tests publish (the instance that owns the responses).</summary>
    public abstract IChatStreamingStore Producer { get; }

    /// <summary>Gets the store where the tests subscribe: <see cref="Producer"/> itself, or another instance.</summary>
    public abstract IChatStreamingStore Reader { get; }

    /// <summary>Gets the clock of every instance (they share it), so idle timeout and retention are driven without sleeps.</summary>
    public abstract FakeTimeProvider Time { get; }

    /// <summary>Gets how many responses are active on <see cref="Producer"/>: what <see cref="ChatStreamingOptions.MaxActiveResponses"/> limits.</summary>
    public abstract int ActiveResponseCount { get; }

    /// <summary>
    /// Gets whether a conversation's epoch and numbering outlive its retained history (a shared store keeps them much
    /// longer, so that old positions stay recognisable): then a response after the history expired continues the same
    /// stream, where a store that forgets the conversation starts a new epoch at sequence 1. Either way an old position
    /// is never replayed.
    /// </summary>
    public virtual bool NumberingOutlivesRetention => false;

    /// <summary>
    /// Gets how many events the subscriptions of <see cref="Reader"/> dropped under
    /// <see cref="OverflowStrategy.DropOldest"/> or <see cref="OverflowStrategy.DropNewest"/> (the count behind the
    /// drop metric); nothing may be dropped silently.
    /// </summary>
    public abstract long DroppedEventCount { get; }

    /// <summary>Gets the statistics of the conversation's current response on <see cref="Producer"/>, or <see langword="null"/> when it has none.</summary>
    /// <param name="conversationId">The conversation.</param>
    /// <returns>A snapshot.</returns>
    public abstract ChatResponseStatistics? GetStatistics(string conversationId);

    /// <summary>Gets the statistics of every response of the conversation that <see cref="Producer"/> retains, oldest first.</summary>
    /// <param name="conversationId">The conversation.</param>
    /// <returns>Snapshots, empty when it has none.</returns>
    public abstract IReadOnlyList<ChatResponseStatistics> GetResponseStatistics(string conversationId);

    /// <summary>
    /// Completes once exactly <paramref name="count"/> live subscriptions to the conversation are registered on
    /// <see cref="Reader"/> (0: once they all left). A test that must publish only after its subscriber is in place
    /// awaits this, because registration may be asynchronous (a Redis reader subscribes to a channel first).
    /// </summary>
    /// <param name="conversationId">The conversation.</param>
    /// <param name="count">The number of subscriptions.</param>
    /// <returns>A task that completes when the count is reached, or fails when it cannot be.</returns>
    public abstract Task SubscribedAsync(string conversationId, int count);

    /// <summary>
    /// Completes once <see cref="Reader"/> has handed every event of the conversation up to and including
    /// <paramref name="sequence"/> to its live subscriptions (each one's queue and overflow strategy applied).
    /// A test that checks what a stalled subscriber's queue did, or that a waiter got its response before the clock
    /// moves, awaits this first.
    /// </summary>
    /// <param name="conversationId">The conversation.</param>
    /// <param name="sequence">A sequence published on <see cref="Producer"/>.</param>
    /// <returns>A task that completes when the Reader has caught up.</returns>
    public abstract Task DeliveredAsync(string conversationId, long sequence);

    /// <summary>
    /// Completes once the store holds nothing for the conversation, on any instance: no active or retained
    /// response and no subscription (released after retention, or never created by a refused call).
    /// </summary>
    /// <param name="conversationId">The conversation.</param>
    /// <returns>A task that completes when the conversation is gone.</returns>
    public abstract Task ReleasedAsync(string conversationId);

    /// <summary>
    /// Completes once the events of the conversation up to and including <paramref name="throughSequence"/> are no
    /// longer retained (released by retention time or by a retention limit), while later ones may be.
    /// </summary>
    /// <param name="conversationId">The conversation.</param>
    /// <param name="throughSequence">The last sequence that must be released.</param>
    /// <returns>A task that completes when those events are released.</returns>
    public abstract Task NotRetainedAsync(string conversationId, long throughSequence);

    /// <summary>Disposes every instance of the store and anything the target created for it.</summary>
    /// <returns>A task that completes when everything is released.</returns>
    public async ValueTask DisposeAsync()
    {
        await DisposeAsyncCore().ConfigureAwait(false);
        GC.SuppressFinalize(this);
    }

    /// <summary>Disposes every instance of the store and anything the target created for it.</summary>
    /// <returns>A task that completes when everything is released.</returns>
    protected abstract ValueTask DisposeAsyncCore();
}
