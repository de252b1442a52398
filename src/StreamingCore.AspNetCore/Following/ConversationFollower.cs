using System.Runtime.CompilerServices;

namespace StreamingCore.AspNetCore;

/// <summary>
/// Follows one conversation across its responses: a store subscription yields one response and ends after its terminal
/// event, so the follower subscribes again after that event's position, which waits for the next <c>Started</c> of the
/// same stream. Every event after the resume point arrives once, in order, whatever the hand-over races with.
/// </summary>
/// <remarks>Not thread-safe: one reader, and no <see cref="DisposeAsync"/> while a <see cref="MoveNextAsync"/> is pending.</remarks>
internal sealed class ConversationFollower : IAsyncDisposable
{
    // Where events come from.
    private readonly IChatStreamingStore _store;

    // The conversation followed.
    private readonly string _conversationId;

    // Ends the subscriptions (the connection's lifetime).
    private readonly CancellationToken _cancellationToken;

    // The subscription being read (one response, or the wait for the next); null between two.
    private IAsyncEnumerator<ChatStreamingEvent>? _subscription;

    // Whether _subscription has yielded an event yet: until it has, it may be a wait that the store ends.
    private bool _subscriptionYielded;

    // The position of the last event yielded, else the resume point; null: the conversation's current response.
    private ChatStreamPosition? _last;

    public ConversationFollower(IChatStreamingStore store, string conversationId, ChatStreamPosition? after, CancellationToken cancellationToken)
    {
        _store = store;
        _conversationId = conversationId;
        _last = after;
        _cancellationToken = cancellationToken;
    }

    /// <summary>Gets the event the last successful <see cref="MoveNextAsync"/> moved to.</summary>
    public ChatStreamingEvent Current { get; private set; }

    /// <summary>
    /// Moves to the next event of the conversation, waiting for its next response when the last one ended.
    /// Completes synchronously when the event is already available (a replay, or a queued live event).
    /// </summary>
    /// <returns><see langword="false"/> when a subscription ended without yielding anything (a store that ends
    /// subscriptions early; reconnecting is the client's backoff).</returns>
    /// <exception cref="ChatStreamingException">The store refused the subscription (not retained, too many subscribers) or the subscriber overflowed.</exception>
    /// <exception cref="OperationCanceledException">The connection ended.</exception>
    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder<>))]
    public async ValueTask<bool> MoveNextAsync()
    {
        while (true)
        {
            if (_subscription is null)
            {
                _subscription = (_last is { } after
                    ? _store.SubscribeAsync(_conversationId, after, _cancellationToken)
                    : _store.SubscribeAsync(_conversationId, afterSequence: 0, _cancellationToken)).GetAsyncEnumerator(_cancellationToken);
                _subscriptionYielded = false;
            }

            bool moved;
            try
            {
                moved = await _subscription.MoveNextAsync().ConfigureAwait(false);
            }
            catch (ChatStreamingException ex) when (!_subscriptionYielded && IsExpiredWait(ex.Error))
            {
                // A wait for a response to start that the store gave up on: nothing was missed, wait again.
                await CloseSubscriptionAsync().ConfigureAwait(false);
                continue;
            }

            if (moved)
            {
                Current = _subscription.Current;
                _last = Current.Position;
                _subscriptionYielded = true;
                return true;
            }

            bool yielded = _subscriptionYielded;
            await CloseSubscriptionAsync().ConfigureAwait(false);
            if (!yielded)
            {
                // Resubscribing at once could spin; ending lets the client come back after its retry delay.
                return false;
            }

            // The response ended (its terminal event was the last one yielded): follow into the next one.
        }
    }

    /// <summary>
    /// Whether a store error on a subscription that has yielded nothing means "the wait for a response timed out" rather
    /// than a refusal. Every refusal a client must hear about is listed here; anything else (the core's coming code for an
    /// expired wait) resubscribes from the same position.
    /// </summary>
    internal static bool IsExpiredWait(ChatStreamingError error)
        => error is not (ChatStreamingError.SequenceNotRetained or ChatStreamingError.TooManySubscribers or ChatStreamingError.SubscriberOverflow);

    public ValueTask DisposeAsync() => CloseSubscriptionAsync();

    private ValueTask CloseSubscriptionAsync()
    {
        IAsyncEnumerator<ChatStreamingEvent>? subscription = _subscription;
        _subscription = null;
        return subscription?.DisposeAsync() ?? ValueTask.CompletedTask;
    }
}
