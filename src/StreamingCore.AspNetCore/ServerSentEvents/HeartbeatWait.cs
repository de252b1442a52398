using System.Diagnostics;
using System.Threading.Tasks.Sources;

namespace StreamingCore.AspNetCore;

/// <summary>
/// The race of an SSE connection's pending <see cref="ConversationFollower.MoveNextAsync"/> against its next heartbeat,
/// with one timer and one awaitable for the connection's whole life: an idle connection allocates nothing per interval
/// (a <c>Task.Delay</c>, <c>AsTask</c> and <c>Task.WhenAny</c> per interval cost about 400 bytes).
/// </summary>
/// <remarks>
/// <para>
/// One reader: <see cref="Follow"/>, <see cref="WaitAsync"/>, <see cref="WaitForMoveAsync"/> and <see cref="TakeMove"/>
/// are called one at a time, never while a wait is pending. The move, the timer and the connection's end signal from any
/// thread; the first to take <see cref="_waiting"/> completes the wait, the others leave their flag for the next one.
/// </para>
/// <para>
/// The heartbeat keeps the cadence of the <c>Task.Delay</c> it replaces: armed by the first wait that finds none armed, it
/// is not pushed back by events; it fires once, and a heartbeat that fires while no wait is pending is due at the next one.
/// </para>
/// </remarks>
internal sealed class HeartbeatWait : IValueTaskSource<bool>, IDisposable
{
    // _waiting: no wait pending; a wait that the move, the heartbeat or the connection's end completes; one only the move does.
    private const int NotWaiting = 0;
    private const int WaitingForAny = 1;
    private const int WaitingForMove = 2;

    // _heartbeat: no timer running; the timer runs; it fired and no wait has reported it yet.
    private const int HeartbeatIdle = 0;
    private const int HeartbeatArmed = 1;
    private const int HeartbeatDue = 2;

    // The heartbeat interval.
    private readonly TimeSpan _interval;

    // The heartbeat's clock (the store's).
    private readonly TimeProvider _timeProvider;

    // The connection's lifetime: when it ends, a pending wait ends as a heartbeat would (the caller sees the token).
    private readonly CancellationToken _lifetime;

    // The wait's result (true: the move completed; false: a heartbeat or the connection's end came first). Whether its
    // continuation runs inline is set by the signal that completes it (see Complete).
    private ManualResetValueTaskSourceCore<bool> _core;

    // Created with the first wait that arms it, then re-armed with Change; a connection that never waits has none.
    private ITimer? _timer;

    // Ends a pending wait when the connection's lifetime ends; registered once, with the timer.
    private CancellationTokenRegistration _lifetimeRegistration;

    // The move's continuation, one delegate for every move of the connection.
    private Action? _onMoveCompleted;

    // The followed move: registered once with _onMoveCompleted, so it can be awaited only through this wait.
    private ValueTask<bool> _move;

    // Whether a move is followed (from Follow to TakeMove); the reader's own state.
    private bool _following;

    // Set by the followed move's continuation.
    private volatile bool _moveCompleted;

    // One of the Waiting constants; taken by exactly one signal per wait.
    private int _waiting;

    // One of the Heartbeat constants.
    private int _heartbeat;

    public HeartbeatWait(TimeSpan interval, TimeProvider timeProvider, CancellationToken lifetime)
    {
        _interval = interval;
        _timeProvider = timeProvider;
        _lifetime = lifetime;
    }

    /// <summary>Gets whether a move is followed: a heartbeat overtook it, and it is the one to continue (never a second MoveNextAsync).</summary>
    public bool IsFollowingMove => _following;

    /// <summary>Follows a move that did not complete synchronously; its result is taken with <see cref="TakeMove"/> once a wait reports it.</summary>
    public void Follow(ValueTask<bool> move)
    {
        Debug.Assert(!_following, "One move at a time.");
        _move = move;
        _moveCompleted = false;
        _following = true;
        move.ConfigureAwait(false).GetAwaiter().UnsafeOnCompleted(_onMoveCompleted ??= OnMoveCompleted);
    }

    /// <summary>
    /// Waits for the followed move or the heartbeat, whichever is first: <see langword="true"/> when the move completed
    /// (take it with <see cref="TakeMove"/>), <see langword="false"/> when a heartbeat is due or the lifetime ended (the move
    /// stays followed).
    /// </summary>
    public ValueTask<bool> WaitAsync()
    {
        Debug.Assert(_following, "A wait races a followed move.");

        // An overtaken move that completed meanwhile is a ready event: no timer is armed for it, as for any ready event.
        if (_moveCompleted)
        {
            return new ValueTask<bool>(true);
        }

        if (Volatile.Read(ref _heartbeat) == HeartbeatIdle)
        {
            Arm();
        }

        StartWait(WaitingForAny);

        // A signal that came before the wait was published left only its flag; then this call or a late signal takes _waiting.
        if ((_moveCompleted || Volatile.Read(ref _heartbeat) == HeartbeatDue || _lifetime.IsCancellationRequested)
            && Interlocked.Exchange(ref _waiting, NotWaiting) != NotWaiting)
        {
            return new ValueTask<bool>(Decide());
        }

        return new ValueTask<bool>(this, _core.Version);
    }

    /// <summary>Waits for the followed move alone (the connection is over; heartbeats no longer matter), then take it with <see cref="TakeMove"/>.</summary>
    public ValueTask<bool> WaitForMoveAsync()
    {
        Debug.Assert(_following, "Only a followed move is waited for.");
        if (_moveCompleted)
        {
            return new ValueTask<bool>(true);
        }

        StartWait(WaitingForMove);
        if (_moveCompleted && Interlocked.Exchange(ref _waiting, NotWaiting) != NotWaiting)
        {
            return new ValueTask<bool>(true);
        }

        return new ValueTask<bool>(this, _core.Version);
    }

    /// <summary>Returns the followed move, completed (its <c>GetResult</c> is the caller's, once), and stops following it.</summary>
    public ValueTask<bool> TakeMove()
    {
        Debug.Assert(_following && _moveCompleted, "Only a completed move is taken.");
        ValueTask<bool> move = _move;
        _move = default;
        _following = false;
        _moveCompleted = false;
        return move;
    }

    public bool GetResult(short token) => _core.GetResult(token);

    public ValueTaskSourceStatus GetStatus(short token) => _core.GetStatus(token);

    public void OnCompleted(Action<object?> continuation, object? state, short token, ValueTaskSourceOnCompletedFlags flags)
        => _core.OnCompleted(continuation, state, token, flags);

    public void Dispose()
    {
        _lifetimeRegistration.Dispose();
        _timer?.Dispose();
    }

    private void StartWait(int kind)
    {
        _core.Reset();

        // A full fence: the flags the caller reads next are those set before any signal could see this wait.
        Interlocked.Exchange(ref _waiting, kind);
    }

    private void Arm()
    {
        // Armed before the timer runs, so that its callback (on any thread, at once for a fake clock) finds it armed.
        Volatile.Write(ref _heartbeat, HeartbeatArmed);
        if (_timer is null)
        {
            _timer = _timeProvider.CreateTimer(static state => ((HeartbeatWait)state!).OnHeartbeat(), this, _interval, Timeout.InfiniteTimeSpan);
            _lifetimeRegistration = _lifetime.UnsafeRegister(static state => ((HeartbeatWait)state!).OnLifetimeEnded(), this);
        }
        else
        {
            _timer.Change(_interval, Timeout.InfiniteTimeSpan);
        }
    }

    // The result of a wait that a heartbeat may end, decided by the one signal (or the waiter) that took it: the move wins
    // a tie, as Task.WhenAny(move, heartbeat) did; a heartbeat it reports is spent.
    private bool Decide()
    {
        if (_moveCompleted)
        {
            return true;
        }

        Interlocked.CompareExchange(ref _heartbeat, HeartbeatIdle, HeartbeatDue);
        return false;
    }

    private void OnMoveCompleted()
    {
        _moveCompleted = true;
        if (Interlocked.Exchange(ref _waiting, NotWaiting) != NotWaiting)
        {
            // Inline, as the awaited move itself would resume: the store already completes it off the publisher's path,
            // and a second hop would delay every event that ends an idle wait.
            Complete(true, inline: true);
        }
    }

    private void OnHeartbeat()
    {
        if (Interlocked.CompareExchange(ref _heartbeat, HeartbeatDue, HeartbeatArmed) == HeartbeatArmed
            && Interlocked.CompareExchange(ref _waiting, NotWaiting, WaitingForAny) == WaitingForAny)
        {
            // Not inline: the step is taken once the timer callback has returned, so that a later timer fired by the same
            // fake-clock Advance (the connection's duration) ends the connection rather than being preceded by a heartbeat.
            Complete(Decide(), inline: false);
        }
    }

    private void OnLifetimeEnded()
    {
        if (Interlocked.CompareExchange(ref _waiting, NotWaiting, WaitingForAny) == WaitingForAny)
        {
            // Not inline: the connection's end (its writes, its disposal of the lifetime) must not run inside the lifetime's Cancel.
            Complete(Decide(), inline: false);
        }
    }

    // Queuing costs no allocation when an async method awaits the wait: the thread pool takes its state machine box as is.
    private void Complete(bool result, bool inline)
    {
        _core.RunContinuationsAsynchronously = !inline;
        _core.SetResult(result);
    }
}
