using System.Diagnostics;

namespace StreamingCore;

/// <summary>
/// The subscriptions that wait for a response to start, oldest first, and the one timer that ends those that waited for
/// <c>WaitingSubscriberTimeout</c>. Every wait has the same timeout, so they expire in the order they began: one timer armed
/// for the oldest is enough, where a timer per waiting subscription cost about 150 bytes each at tens of thousands of idle
/// clients.
/// </summary>
/// <remarks>Thread-safe. Its lock is a leaf: taken inside a conversation's lock, and released before the expiry callback runs.</remarks>
[DebuggerDisplay("Oldest waiting since {_head?.WaitingSince}")]
internal sealed class WaitingSubscriptions : IDisposable
{
    // Guards the list, _armed and _disposed.
    private readonly object _gate = new();

    // The clock of the waits and of the timer.
    private readonly TimeProvider _timeProvider;

    // How long a subscription may wait.
    private readonly TimeSpan _timeout;

    // Ends a subscription that waited too long; called outside the lock, with the subscription already out of the list.
    private readonly Action<Subscription> _expired;

    // The timer; created at the first wait.
    private ITimer? _timer;

    // The waiting subscriptions, linked through Subscription.WaitingPrevious / WaitingNext, oldest first.
    private Subscription? _head;
    private Subscription? _tail;

    // True while the timer is due to fire.
    private bool _armed;

    private bool _disposed;

    public WaitingSubscriptions(TimeProvider timeProvider, TimeSpan timeout, Action<Subscription> expired)
    {
        _timeProvider = timeProvider;
        _timeout = timeout;
        _expired = expired;
    }

    /// <summary>Starts the wait of a subscription: it expires after the timeout unless <see cref="Remove"/> comes first.</summary>
    public void Add(Subscription subscription)
    {
        lock (_gate)
        {
            if (_disposed)
            {
                return;
            }

            subscription.WaitingSince = _timeProvider.GetTimestamp();
            subscription.WaitingPrevious = _tail;
            subscription.WaitingNext = null;
            subscription.IsListedAsWaiting = true;
            if (_tail is null)
            {
                _head = subscription;
            }
            else
            {
                _tail.WaitingNext = subscription;
            }

            _tail = subscription;
            if (!_armed)
            {
                _armed = true;
                _timer ??= _timeProvider.CreateTimer(static state => ((WaitingSubscriptions)state!).OnTimer(), this, Timeout.InfiniteTimeSpan, Timeout.InfiniteTimeSpan);
                _timer.Change(_timeout, Timeout.InfiniteTimeSpan);
            }
        }
    }

    /// <summary>Ends the wait of a subscription (its response started, or it ended); a timer due for it finds the next one.</summary>
    public void Remove(Subscription subscription)
    {
        lock (_gate)
        {
            UnlinkLocked(subscription);
        }
    }

    private void UnlinkLocked(Subscription subscription)
    {
        if (!subscription.IsListedAsWaiting)
        {
            return;
        }

        if (subscription.WaitingPrevious is { } previous)
        {
            previous.WaitingNext = subscription.WaitingNext;
        }
        else
        {
            _head = subscription.WaitingNext;
        }

        if (subscription.WaitingNext is { } next)
        {
            next.WaitingPrevious = subscription.WaitingPrevious;
        }
        else
        {
            _tail = subscription.WaitingPrevious;
        }

        subscription.WaitingPrevious = null;
        subscription.WaitingNext = null;
        subscription.IsListedAsWaiting = false;
    }

    private void OnTimer()
    {
        while (true)
        {
            Subscription expired;
            lock (_gate)
            {
                if (_disposed || _head is null)
                {
                    _armed = false;
                    return;
                }

                TimeSpan waited = _timeProvider.GetElapsedTime(_head.WaitingSince);
                if (waited < _timeout)
                {
                    _timer!.Change(_timeout - waited, Timeout.InfiniteTimeSpan);
                    return;
                }

                expired = _head;
                UnlinkLocked(expired);
            }

            _expired(expired);
        }
    }

    public void Dispose()
    {
        lock (_gate)
        {
            _disposed = true;
            _head = null;
            _tail = null;
        }

        _timer?.Dispose();
    }
}
