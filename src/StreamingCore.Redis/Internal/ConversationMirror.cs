using System.Globalization;
using StackExchange.Redis;

namespace StreamingCore.Redis.Internal;

/// <summary>
/// Keeps one conversation in this instance's local store in step with Redis while anyone here follows it: live events
/// arrive through the conversation's channel and are replicated in sequence order; a gap, a bad message or a reconnect
/// reads the stream from the last event applied. It also watches a mirrored active response's lease and ends the response
/// for everyone when its producer's instance stopped renewing it.
/// </summary>
internal sealed class ConversationMirror
{
    private const int PageSize = 512;

    private readonly RedisContext _context;
    private readonly DefaultChatStreamingStore _local;
    private readonly Action<ConversationMirror> _idle;
    private readonly object _gate = new();
    private readonly List<(long Sequence, TaskCompletionSource Signal)> _catchUps = [];

    // WhenAppliedAsync's waiters (tests): released only when their sequence is applied.
    private readonly List<(long Sequence, TaskCompletionSource Signal)> _appliedWaiters = [];
    private readonly ITimer _watch;
    private readonly TimeSpan _watchInterval;

    private ChannelMessageQueue? _queue;
    private Task _ready = Task.CompletedTask;

    // The stream's epoch and the last sequence applied here from it (0: nothing yet).
    private string? _epoch;
    private long _last;

    // The first sequence of the mirrored (another instance's) active response; 0 for none.
    private long _activeReplica;

    // What the last read found in Redis: the stream's epoch, or null when the conversation has no keys; unknown until read.
    private bool _redisRead;
    private string? _redisEpoch;

    // The first sequence of the response active in Redis when last read; 0 for none.
    private long _redisActive;

    // How many events were applied here (a version: a read of the meta that raced with one is older than it).
    private long _applied;

    private bool _syncing;
    private bool _syncAgain;

    // Completed when the read after the running one finishes; the callers that came during the running one wait on it.
    private TaskCompletionSource? _nextSync;
    private bool _stopped;

    public ConversationMirror(RedisContext context, DefaultChatStreamingStore local, string conversationId, Action<ConversationMirror> idle)
    {
        _context = context;
        _local = local;
        _idle = idle;
        Keys = context.KeysOf(conversationId);
        TimeSpan idleTimeout = context.StoreOptions.IdleTimeout;
        _watchInterval = idleTimeout == Timeout.InfiniteTimeSpan ? context.Options.LeaseDuration : idleTimeout;
        _watch = context.Time.CreateTimer(static state => ((ConversationMirror)state!).OnWatch(), this, Timeout.InfiniteTimeSpan, Timeout.InfiniteTimeSpan);
    }

    public ConversationKeys Keys { get; }

    /// <summary>Subscriptions of this instance that follow the conversation; guarded by the registry's lock.</summary>
    public int References { get; set; }

    /// <summary>Of those, the ones registered in the local store (past their first read); guarded by the registry's lock.</summary>
    public int Registered { get; set; }

    public void Start() => _ready = StartAsync();

    /// <summary>
    /// After the connection came back: subscribes again if the first subscription failed (Redis was down when the mirror
    /// started), else reads what was missed.
    /// </summary>
    public Task RecoverAsync()
    {
        lock (_gate)
        {
            if (_stopped)
            {
                return Task.CompletedTask;
            }

            if (_ready.IsFaulted || (_ready.IsCompleted && _queue is null))
            {
                _ready = StartAsync();
                return _ready;
            }
        }

        return SyncAsync();
    }

    /// <summary>Diagnostics: the mirror's state.</summary>
    public string Describe()
    {
        lock (_gate)
        {
            return $"epoch {_epoch} last {_last} activeReplica {_activeReplica} redis {(_redisRead ? _redisEpoch ?? "none" : "unread")} active {_redisActive} applied {_applied} syncing {_syncing} stopped {_stopped} ready {_ready.Status} queue {(_queue is null ? "none" : _queue.Completion.IsCompleted ? "completed" : "open")}";
        }
    }

    private async Task StartAsync()
    {
        SemaphoreSlim gate = _context.SubscriptionGate;
        await gate.WaitAsync().ConfigureAwait(false);
        try
        {
            _queue = await _context.Subscriber.SubscribeAsync(Keys.Channel).ConfigureAwait(false);
        }
        finally
        {
            gate.Release();
        }

        _queue.OnMessage(OnMessage);
        await SyncAsync().ConfigureAwait(false);
    }

    /// <summary>Waits until the channel is subscribed and the stream read once; a Redis that cannot be reached is logged, not thrown.</summary>
    public async Task ReadyAsync(CancellationToken cancellationToken)
    {
        try
        {
            await _ready.WaitAsync(_context.Options.OperationTimeout, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is RedisException or TimeoutException)
        {
            Log.ReadFailed(_context.Logger, Keys.ConversationId, ex.Message);
        }
    }

    /// <summary>
    /// Makes sure this instance has the position's events before the local store answers: reads Redis when this instance is
    /// behind it, and while a response of that epoch is active in Redis waits for the rest to arrive (a client may come with a
    /// position its producer's instance gave it before writing it to Redis).
    /// </summary>
    public async Task CatchUpAsync(string epoch, long sequence, CancellationToken cancellationToken)
    {
        // What the local store has decides (it answers the subscription), not what this mirror last applied: the local store
        // may have released a response the mirror applied; then the mirror reads it again.
        ChatStreamPosition? known = _local.GetLastPosition(Keys.ConversationId);
        if (known is { } here && string.Equals(here.Epoch, epoch, StringComparison.Ordinal) && here.Sequence >= sequence)
        {
            return;
        }

        lock (_gate)
        {
            if (known is null || !string.Equals(known.Value.Epoch, _epoch, StringComparison.Ordinal))
            {
                _last = 0;
            }
            else if (_last > known.Value.Sequence)
            {
                _last = known.Value.Sequence;
            }
        }

        // Real time, not the store's clock: this waits for Redis and for another instance's writes.
        long deadline = Environment.TickCount64 + (long)_context.Options.OperationTimeout.TotalMilliseconds;
        while (true)
        {
            long left = deadline - Environment.TickCount64;
            if (left <= 0)
            {
                return;
            }

            try
            {
                await SyncAsync().WaitAsync(TimeSpan.FromMilliseconds(left), cancellationToken).ConfigureAwait(false);
            }
            catch (Exception ex) when (ex is RedisException or TimeoutException)
            {
                // Redis cannot tell: the local store answers with what it has.
                return;
            }

            TaskCompletionSource source;
            lock (_gate)
            {
                if (_last >= sequence && string.Equals(_epoch, epoch, StringComparison.Ordinal))
                {
                    return;
                }

                if (_redisActive == 0 || !string.Equals(_redisEpoch, epoch, StringComparison.Ordinal))
                {
                    // Nothing in that stream is still being written: a position beyond it is not one a producer gave out.
                    return;
                }

                source = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
                _catchUps.Add((sequence, source));
            }

            try
            {
                // Released when the position arrives, or when a response ends short of it: then a fresh read tells whether
                // the next response, claimed but not yet on the channel, is still to come.
                await source.Task.WaitAsync(TimeSpan.FromMilliseconds(Math.Max(1, deadline - Environment.TickCount64)), cancellationToken).ConfigureAwait(false);
            }
            catch (TimeoutException)
            {
                // The local store answers with what it has (the position is ahead: SequenceNotRetained).
                return;
            }
            finally
            {
                // A wait that timed out or was cancelled leaves no waiter behind.
                lock (_gate)
                {
                    _catchUps.Remove((sequence, source));
                }
            }
        }
    }

    /// <summary>
    /// Whether Redis holds a stream of the conversation other than <paramref name="epoch"/> (or none): a position in it is
    /// never served from what this instance still retains of an older stream. What the last read said is checked again with
    /// a fresh read before it is believed.
    /// </summary>
    public async Task<bool> IsReplacedAsync(string epoch)
    {
        if (!Replaced(epoch))
        {
            return false;
        }

        try
        {
            await SyncAsync().WaitAsync(_context.Options.OperationTimeout).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is RedisException or TimeoutException)
        {
            // Redis cannot tell now: believe the last read.
        }

        return Replaced(epoch);
    }

    private bool Replaced(string epoch)
    {
        lock (_gate)
        {
            return _redisRead && !string.Equals(_redisEpoch, epoch, StringComparison.Ordinal);
        }
    }

    /// <summary>Gets the epoch of the conversation's stream as Redis last showed it (null when unknown or none).</summary>
    public string? CurrentEpoch
    {
        get
        {
            lock (_gate)
            {
                return _redisEpoch ?? _epoch;
            }
        }
    }

    /// <summary>Completes once the events up to <paramref name="sequence"/> of the current stream are applied here (a test's signal).</summary>
    public Task WhenAppliedAsync(long sequence)
    {
        lock (_gate)
        {
            if (_last >= sequence || _stopped)
            {
                return Task.CompletedTask;
            }

            var source = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            _appliedWaiters.Add((sequence, source));
            return source.Task;
        }
    }

    /// <summary>
    /// Reads the stream from the last event applied (or the current response) to now, one read at a time: a call while a
    /// read runs completes when the next read, which starts after it, has finished (so the caller sees Redis as it is now).
    /// </summary>
    public Task SyncAsync()
    {
        lock (_gate)
        {
            if (_syncing)
            {
                _syncAgain = true;
                return (_nextSync ??= new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously)).Task;
            }

            _syncing = true;
        }

        return RunSyncAsync();
    }

    private async Task RunSyncAsync()
    {
        TaskCompletionSource? finished = null;
        try
        {
            while (true)
            {
                await SyncOnceAsync().ConfigureAwait(false);
                finished?.TrySetResult();
                lock (_gate)
                {
                    if (!_syncAgain || _stopped)
                    {
                        _syncing = false;
                        finished = _nextSync;
                        _nextSync = null;
                        break;
                    }

                    _syncAgain = false;
                    finished = _nextSync;
                    _nextSync = null;
                }
            }

            // Stopped with callers still waiting for a read that will not run: they go on with what is here.
            finished?.TrySetResult();
        }
        catch
        {
            lock (_gate)
            {
                _syncing = false;
                (_nextSync ?? finished)?.TrySetResult();
                finished?.TrySetResult();
                _nextSync = null;
            }

            throw;
        }
    }

    private void RequestSync()
    {
        _context.Telemetry.GapRepaired();
        _ = SyncQuietlyAsync();
    }

    private async Task SyncQuietlyAsync()
    {
        try
        {
            await SyncAsync().ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is RedisException or TimeoutException or ObjectDisposedException or FormatException or OverflowException or ArgumentException)
        {
            // The next message, reconnect or watch reads again.
            Log.ReadFailed(_context.Logger, Keys.ConversationId, ex.Message);
        }
    }

    private async Task SyncOnceAsync()
    {
        for (int attempt = 0; attempt < 2; attempt++)
        {
            long appliedBefore;
            lock (_gate)
            {
                appliedBefore = _applied;
            }

            RedisValue[] meta = await _context.Database.HashGetAsync(Keys.Meta, ["e", "s", "a"]).ConfigureAwait(false);
            lock (_gate)
            {
                // A live event applied while the meta was on its way is newer than it: keep what it said.
                if (_applied == appliedBefore)
                {
                    _redisRead = true;
                    _redisEpoch = meta[0].IsNull ? null : (string?)meta[0];
                    _redisActive = meta[0].IsNull ? 0 : (long)meta[2];
                }
                else if (!meta[0].IsNull && string.Equals(_redisEpoch, (string?)meta[0], StringComparison.Ordinal) && (long)meta[2] != 0)
                {
                    // A claim shows in the meta before its first event reaches the stream or the channel: an active response
                    // the meta names is newer than what the live events said, and a resume may wait for it.
                    _redisActive = (long)meta[2];
                }

                // A new mirror continues from what the local store already has of the conversation (retained, or an
                // active response a previous mirror followed), so that it reads the end of it rather than skipping it.
                if (_last == 0 && _local.GetLastPosition(Keys.ConversationId) is { } known)
                {
                    _epoch = known.Epoch;
                    _last = known.Sequence;
                }
            }

            if (meta[0].IsNull)
            {
                // No keys: nothing to read. A mirrored response still active is the watch's to end.
                ArmWatch();
                return;
            }

            string epoch = meta[0]!;
            long top = (long)meta[1];
            long active = (long)meta[2];
            long from;
            lock (_gate)
            {
                from = string.Equals(_epoch, epoch, StringComparison.Ordinal) && _last > 0 && attempt == 0 ? _last + 1 : 0;
            }

            if (from == 0)
            {
                from = active > 0 ? active : await LatestResponseStartAsync(epoch).ConfigureAwait(false);
                if (from == 0)
                {
                    return;
                }
            }

            if (await ReadFromAsync(epoch, from, top).ConfigureAwait(false))
            {
                return;
            }

            // What the stream holds does not follow what was applied here (history expired or trimmed): read the current response whole.
        }
    }

    /// <summary>The first sequence of the stream's latest response, or 0 when the stream is empty.</summary>
    private async Task<long> LatestResponseStartAsync(string epoch)
    {
        StreamEntry[] last = await _context.Database.StreamRangeAsync(Keys.Stream, "-", "+", count: 1, messageOrder: Order.Descending).ConfigureAwait(false);
        if (last.Length == 0)
        {
            return 0;
        }

        (_, long start) = EventCodec.Decode(Keys.ConversationId, epoch, last[0]);
        return start;
    }

    /// <summary>Applies the stream's entries from <paramref name="from"/> on; false when they do not follow what is here.</summary>
    private async Task<bool> ReadFromAsync(string epoch, long from, long top)
    {
        while (from <= top)
        {
            StreamEntry[] entries = await _context.Database.StreamRangeAsync(
                Keys.Stream,
                EventCodec.EntryId(from),
                "+",
                count: PageSize).ConfigureAwait(false);
            if (entries.Length == 0)
            {
                return true;
            }

            lock (_gate)
            {
                foreach (StreamEntry entry in entries)
                {
                    (ChatStreamingEvent e, _) = EventCodec.Decode(Keys.ConversationId, epoch, entry);
                    if (!ApplyLocked(e))
                    {
                        return false;
                    }

                    from = e.Sequence + 1;
                }
            }

            if (entries.Length < PageSize)
            {
                return true;
            }
        }

        return true;
    }

    private void OnMessage(ChannelMessage message)
    {
        try
        {
            ApplyMessage(message);
        }
        catch (Exception ex) when (ex is FormatException or OverflowException or ArgumentException)
        {
            // A message this version cannot read (another version's, or corrupt): the stream has the events.
            Log.BadMessage(_context.Logger, Keys.ConversationId, ex.Message);
            RequestSync();
        }
    }

    private void ApplyMessage(ChannelMessage message)
    {
        string epoch;
        List<(long Sequence, string Value)> entries;
        try
        {
            (epoch, entries) = EventCodec.DecodeMessage(message.Message!);
        }
        catch (FormatException ex)
        {
            Log.BadMessage(_context.Logger, Keys.ConversationId, ex.Message);
            RequestSync();
            return;
        }

        bool missing = false;
        lock (_gate)
        {
            if (_stopped)
            {
                return;
            }

            foreach ((long sequence, string value) in entries)
            {
                (ChatStreamingEvent e, _) = EventCodec.Decode(Keys.ConversationId, epoch, sequence, value);
                if (!ApplyLocked(e))
                {
                    missing = true;
                    break;
                }
            }
        }

        if (missing)
        {
            RequestSync();
        }
    }

    /// <summary>Replicates one event into the local store; false when earlier events are missing here.</summary>
    private bool ApplyLocked(ChatStreamingEvent e)
    {
        if (_stopped)
        {
            // A read that finishes after the mirror stopped must not leave a response here that nothing follows.
            return true;
        }

        ChatReplicationResult result;
        try
        {
            result = _local.Replicate(e);
        }
        catch (ObjectDisposedException)
        {
            _stopped = true;
            return true;
        }

        if (result == ChatReplicationResult.Missing)
        {
            return false;
        }

        if (!string.Equals(_epoch, e.Epoch, StringComparison.Ordinal))
        {
            _epoch = e.Epoch;
            _last = 0;
        }

        // An event read from Redis is of the stream Redis holds now.
        _applied++;
        _redisRead = true;
        _redisEpoch = e.Epoch;

        _last = Math.Max(_last, e.Sequence);
        if (result == ChatReplicationResult.Applied)
        {
            if (e.Kind == ChatStreamingEventKind.Started)
            {
                _activeReplica = e.Sequence;
            }
            else if (e.IsTerminal)
            {
                _activeReplica = 0;
                _redisActive = 0;
            }

            ArmWatchLocked();
        }

        for (int i = _appliedWaiters.Count - 1; i >= 0; i--)
        {
            if (_appliedWaiters[i].Sequence <= _last)
            {
                _appliedWaiters[i].Signal.TrySetResult();
                _appliedWaiters.RemoveAt(i);
            }
        }

        bool ended = result == ChatReplicationResult.Applied && e.IsTerminal;
        for (int i = _catchUps.Count - 1; i >= 0; i--)
        {
            if (_catchUps[i].Sequence <= _last || ended)
            {
                _catchUps[i].Signal.TrySetResult();
                _catchUps.RemoveAt(i);
            }
        }

        if (_activeReplica == 0 && result == ChatReplicationResult.Applied && e.IsTerminal)
        {
            // Not under this lock: the registry takes its own lock, then this one.
            _ = Task.Run(() => _idle(this));
        }

        return true;
    }

    private void ArmWatch()
    {
        lock (_gate)
        {
            ArmWatchLocked();
        }
    }

    private void ArmWatchLocked()
    {
        if (!_stopped)
        {
            _watch.Change(_activeReplica != 0 ? _watchInterval : Timeout.InfiniteTimeSpan, Timeout.InfiniteTimeSpan);
        }
    }

    private void OnWatch() => _ = WatchAsync();

    /// <summary>After a quiet interval, asks Redis whether the mirrored response's producer still holds its lease.</summary>
    private async Task WatchAsync()
    {
        long start;
        lock (_gate)
        {
            start = _activeReplica;
        }

        if (start == 0)
        {
            return;
        }

        try
        {
            var result = (RedisResult[])(await _context.Database.ScriptEvaluateAsync(
                RedisScripts.Takeover,
                Keys.All,
                [start, Keys.ChannelName, _context.Time.GetUtcNow().UtcTicks, RedisChatStreamingErrors.ProducerLost]).ConfigureAwait(false))!;
            switch ((string)result[0]!)
            {
                case "alive":
                    ArmWatch();
                    break;
                case "ended":
                    await SyncAsync().ConfigureAwait(false);
                    ArmWatch();
                    break;
                default:
                    EndLostResponse(start);
                    break;
            }
        }
        catch (Exception ex) when (ex is RedisException or TimeoutException)
        {
            ArmWatch();
        }
    }

    /// <summary>The conversation's keys are gone while its response was active here: end the local copy, the only one left.</summary>
    private void EndLostResponse(long start)
    {
        lock (_gate)
        {
            if (_activeReplica != start || _epoch is null)
            {
                return;
            }

            ApplyLocked(ChatStreamingEvent.FromPublished(
                ChatStreamingEventKind.Failed,
                Keys.ConversationId,
                new ChatStreamPosition(_epoch, _last + 1),
                _context.Time.GetUtcNow(),
                error: RedisChatStreamingErrors.StreamLost));
        }
    }

    /// <summary>
    /// Stops following unless a mirrored response is active (it would stay active here with nothing to end it): no event is
    /// applied after this returns true. Unsubscribes and stops the watch.
    /// </summary>
    public bool TryStop(bool force = false)
    {
        lock (_gate)
        {
            if (_activeReplica != 0 && !force)
            {
                return false;
            }

            _stopped = true;
            foreach ((_, TaskCompletionSource signal) in _catchUps)
            {
                signal.TrySetResult();
            }

            _catchUps.Clear();
            foreach ((_, TaskCompletionSource signal) in _appliedWaiters)
            {
                signal.TrySetResult();
            }

            _appliedWaiters.Clear();
        }

        _watch.Dispose();
        _ = UnsubscribeAsync();
        return true;
    }

    private async Task UnsubscribeAsync()
    {
        try
        {
            await _ready.ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is RedisException or TimeoutException)
        {
            // Subscribing failed; the queue below, if any, still needs unsubscribing.
        }

        if (_queue is { } queue)
        {
            SemaphoreSlim gate = _context.SubscriptionGate;
            await gate.WaitAsync().ConfigureAwait(false);
            try
            {
                await queue.UnsubscribeAsync().ConfigureAwait(false);
            }
            catch (Exception ex) when (ex is RedisException or TimeoutException or ObjectDisposedException)
            {
                // A connection that is gone has no subscription left to end.
            }
            finally
            {
                gate.Release();
            }
        }
    }
}
