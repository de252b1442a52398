using System.Buffers;
using System.Diagnostics;
using System.Runtime.ExceptionServices;
using System.Threading.Tasks.Sources;

namespace StreamingCore;

/// <summary>
/// What <c>SubscribeAsync</c> returns: the enumerable, its enumerator and the live subscription in one object, written by hand
/// where an async iterator was. At tens of thousands of idle subscribers every byte of it is held per subscriber, and the
/// iterator held a state machine of about 250 bytes, its box and a subscription beside it. A pending
/// <see cref="MoveNextAsync"/> is the queue's own reusable wait handed to the caller (this object only forwards it), so a
/// waiting subscriber holds no continuation of its own, and a wake-up is the one hop to the caller's continuation.
/// </summary>
/// <remarks>
/// It behaves as the compiler's async iterator did: the first <see cref="GetAsyncEnumerator"/> enumerates this object, later
/// ones a copy; the subscription opens at the first <see cref="MoveNextAsync"/>; errors come through the returned task,
/// never thrown by the call; a token passed to <see cref="GetAsyncEnumerator"/> cancels as well as the one passed to
/// <c>SubscribeAsync</c>; and it cannot be disposed while a <see cref="MoveNextAsync"/> is pending. Not thread-safe, as an
/// enumerator need not be: the writer only ever touches the queue.
/// </remarks>
[DebuggerDisplay("{_conversationId}, state {_state}")]
internal sealed class SubscriptionEnumerator : Subscription, IAsyncEnumerable<ChatStreamingEvent>, IAsyncEnumerator<ChatStreamingEvent>, IValueTaskSource<bool>
{
    // The enumerable before its first GetAsyncEnumerator (which claims this object; later ones copy it).
    private const int Unclaimed = 0;

    // Enumerating: before the first MoveNextAsync, replaying _events, delivering the burst in _events, waiting on the queue, ended.
    private const int NotStarted = 1;
    private const int Replaying = 2;
    private const int Delivering = 3;
    private const int Waiting = 4;
    private const int Ended = 5;

    // SubscribeAsync's arguments, kept for the copies that later GetAsyncEnumerator calls make.
    private readonly DefaultChatStreamingStore _store;
    private readonly string _conversationId;
    private readonly string? _epoch;
    private readonly long _afterSequence;
    private readonly CancellationToken _subscribeToken;

    // The enumeration's token: SubscribeAsync's, GetAsyncEnumerator's, or _linked's when both can cancel.
    private CancellationToken _cancellationToken;

    // Links the two tokens when both can cancel (as [EnumeratorCancellation] does); disposed when the enumeration ends.
    private CancellationTokenSource? _linked;

    // The events being delivered: the replay snapshot, then the pooled burst taken from the queue (rented at the first
    // live event, so an idle subscription holds none), with _count of them and _index the current one.
    private ChatStreamingEvent[]? _events;
    private int _count;
    private int _index;

    private int _state;

    // True once the store registered it for live events (it was attached to the conversation), until it is detached.
    private bool _live;

    public SubscriptionEnumerator(DefaultChatStreamingStore store, string conversationId, string? epoch, long afterSequence, CancellationToken cancellationToken)
    {
        _store = store;
        _conversationId = conversationId;
        _epoch = epoch;
        _afterSequence = afterSequence;
        _subscribeToken = cancellationToken;
    }

    public ChatStreamingEvent Current => _events is { } events && (uint)_index < (uint)_count ? events[_index] : default;

    public IAsyncEnumerator<ChatStreamingEvent> GetAsyncEnumerator(CancellationToken cancellationToken = default)
    {
        // Each enumeration is its own subscription; this object serves the first, as the compiler's iterators do.
        SubscriptionEnumerator enumerator = Interlocked.CompareExchange(ref _state, NotStarted, Unclaimed) == Unclaimed
            ? this
            : new SubscriptionEnumerator(_store, _conversationId, _epoch, _afterSequence, _subscribeToken) { _state = NotStarted };

        // As the compiler combines an [EnumeratorCancellation] parameter with GetAsyncEnumerator's token.
        if (_subscribeToken.Equals(default))
        {
            enumerator._cancellationToken = cancellationToken;
        }
        else if (cancellationToken.Equals(_subscribeToken) || cancellationToken.Equals(default))
        {
            enumerator._cancellationToken = _subscribeToken;
        }
        else
        {
            enumerator._linked = CancellationTokenSource.CreateLinkedTokenSource(_subscribeToken, cancellationToken);
            enumerator._cancellationToken = enumerator._linked.Token;
        }

        return enumerator;
    }

    public ValueTask<bool> MoveNextAsync()
    {
        switch (_state)
        {
            case Waiting:
                throw new InvalidOperationException("MoveNextAsync was called while the previous MoveNextAsync is still pending.");
            case Unclaimed:
            case Ended:
                return new ValueTask<bool>(false);
        }

        try
        {
            return MoveNextCore();
        }
        catch (Exception ex)
        {
            End();
            return Faulted(ex);
        }
    }

    private ValueTask<bool> MoveNextCore()
    {
        if (_state == NotStarted)
        {
            _cancellationToken.ThrowIfCancellationRequested();
            (ChatStreamingEvent[] replay, _live) = _store.OpenSubscription(this, _conversationId, _epoch, _afterSequence);
            (_events, _count, _index, _state) = (replay, replay.Length, -1, Replaying);
        }

        if (_state == Replaying)
        {
            if (++_index < _count)
            {
                _cancellationToken.ThrowIfCancellationRequested();
                return new ValueTask<bool>(true);
            }

            (_events, _count, _index) = (null, 0, 0);
            if (!_live)
            {
                End();
                return new ValueTask<bool>(false);
            }

            _state = Delivering;
        }
        else if (++_index < _count)
        {
            Materialize();
            return new ValueTask<bool>(true);
        }
        else if (_count > 0)
        {
            // What was delivered is not kept alive by the pooled array.
            Array.Clear(_events!, 0, _count);
            (_count, _index) = (0, 0);
        }

        // Read the queue a burst at a time: the producer writes it under its lock, and a reader on another core that took
        // the lock per event kept the producer spinning on it. A burst taken is delivered: the subscriber has it, as it has
        // what it read. The first wait comes before any read, as no burst is rented yet.
        while (true)
        {
            if (_events is not null && TryTakeBurst())
            {
                return new ValueTask<bool>(true);
            }

            if (Buffer.TryParkReader(_cancellationToken, out ValueTask<bool> ready, out short token))
            {
                _state = Waiting;
                return new ValueTask<bool>(this, token);
            }

            if (!ready.GetAwaiter().GetResult())
            {
                End();
                return new ValueTask<bool>(false);
            }

            _events ??= ArrayPool<ChatStreamingEvent>.Shared.Rent(ChatStreamingConstants.SubscriberReadBurst);
        }
    }

    private bool TryTakeBurst()
    {
        int count = Buffer.TryReadMany(_events.AsSpan(0, ChatStreamingConstants.SubscriberReadBurst));
        if (count == 0)
        {
            return false;
        }

        (_count, _index) = (count, 0);
        Materialize();
        return true;
    }

    // Once per event, as it becomes Current.
    private void Materialize() => _events![_index] = ChatEventMerge.Materialize(_events[_index]);

    // The pending MoveNextAsync is the queue's wait: its status and continuation are the wait's.
    ValueTaskSourceStatus IValueTaskSource<bool>.GetStatus(short token) => Buffer.ReadWait.GetStatus(token);

    void IValueTaskSource<bool>.OnCompleted(Action<object?> continuation, object? state, short token, ValueTaskSourceOnCompletedFlags flags)
        => Buffer.ReadWait.OnCompleted(continuation, state, token, flags);

    bool IValueTaskSource<bool>.GetResult(short token)
    {
        if (_state != Waiting)
        {
            throw new InvalidOperationException("The result of this MoveNextAsync was already taken.");
        }

        _state = Delivering;
        try
        {
            if (!Buffer.ReadWait.GetResult(token))
            {
                End();
                return false;
            }

            _events ??= ArrayPool<ChatStreamingEvent>.Shared.Rent(ChatStreamingConstants.SubscriberReadBurst);

            // Only this enumerator reads its queue, and a wait completes true only once an event is queued.
            return TryTakeBurst() ? true : throw new InvalidOperationException("The subscription's queue woke its reader with nothing to read.");
        }
        catch
        {
            End();
            throw;
        }
    }

    public ValueTask DisposeAsync()
    {
        switch (_state)
        {
            case Waiting:
                // As the compiler's iterators: the pending MoveNextAsync still uses the queue.
                throw new NotSupportedException("The enumerator cannot be disposed while a MoveNextAsync is pending; cancel it and await it first.");
            case Unclaimed:
            case Ended:
                return default;
        }

        End();
        return default;
    }

    // Ends the enumeration, once: the burst goes back to the pool, the subscription leaves the conversation.
    private void End()
    {
        bool rented = _state is Delivering or Waiting;
        _state = Ended;
        ChatStreamingEvent[]? events = _events;
        (_events, _count, _index) = (null, 0, 0);
        if (rented && events is not null)
        {
            ArrayPool<ChatStreamingEvent>.Shared.Return(events, clearArray: true);
        }

        if (_live)
        {
            _live = false;
            _store.Detach(this);
        }

        _linked?.Dispose();
        _linked = null;
    }

    // A MoveNextAsync that failed at once fails through its task, as an async method does (a cancellation as cancelled).
#pragma warning disable CS1998 // No await: the async method is what turns the exception into a faulted or cancelled task.
    private static async ValueTask<bool> Faulted(Exception exception)
#pragma warning restore CS1998
    {
        ExceptionDispatchInfo.Throw(exception);
        return false;
    }
}
