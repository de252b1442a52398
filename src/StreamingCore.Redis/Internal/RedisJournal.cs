using System.Diagnostics;
using System.Threading.Channels;
using Microsoft.Extensions.Logging;
using StackExchange.Redis;

namespace StreamingCore.Redis.Internal;

/// <summary>
/// Records the responses this instance produces in Redis: a Started claims the response synchronously (another instance may
/// own the conversation); every event then goes through a bounded outbox that one loop writes in order, batched, one script
/// per conversation per batch, retrying the same batch until Redis takes it. A timer renews the leases of quiet responses.
/// </summary>
internal sealed class RedisJournal : IChatStreamingJournal, IAsyncDisposable
{
    private readonly RedisContext _context;

    // Ends this instance's own response when Redis refused it (keys lost, or another instance ended it).
    private readonly Action<string, long, string> _responseLost;

    private readonly Channel<OutboxItem> _outbox = Channel.CreateUnbounded<OutboxItem>(new UnboundedChannelOptions { SingleReader = true });

    // The response each conversation is producing here, or whose events still wait to be written.
    private readonly System.Collections.Concurrent.ConcurrentDictionary<string, OwnedResponse> _owned = new(StringComparer.Ordinal);

    private readonly CancellationTokenSource _stopping = new();
    private readonly Task _writer;
    private readonly ITimer _renewTimer;

    private int _outboxLength;

    // Per conversation: the last sequence this instance stamped in a response that Redis refused (and its epoch). Those
    // events reached this instance's subscribers only, so the next response is numbered after them.
    private readonly System.Collections.Concurrent.ConcurrentDictionary<string, ChatStreamPosition> _floors = new(StringComparer.Ordinal);

    // FlushAsync callers, completed when the outbox is empty; guarded by itself.
    private readonly List<TaskCompletionSource> _flushWaiters = [];

    public RedisJournal(RedisContext context, Action<string, long, string> responseLost)
    {
        _context = context;
        _responseLost = responseLost;
        _writer = Task.Run(WriteLoopAsync);
        TimeSpan period = context.Options.LeaseDuration / 3;
        _renewTimer = context.Time.CreateTimer(static state => ((RedisJournal)state!).RenewLeases(), this, period, period);
    }

    /// <summary>Events waiting to be written to Redis.</summary>
    public int OutboxLength => Volatile.Read(ref _outboxLength);

    /// <summary>True when the outbox holds <see cref="RedisChatStreamingOptions.MaxOutboxLength"/> events: Deltas are refused.</summary>
    public bool IsFull => OutboxLength >= _context.Options.MaxOutboxLength;

    /// <summary>The store this journal records; set once, right after the store is created.</summary>
    public DefaultChatStreamingStore? Local { get; set; }

    /// <summary>Set by a test to stop writing without a word, as a process that dies would.</summary>
    internal bool Crashed { get; private set; }

    public ChatStreamPosition BeginResponse(string conversationId)
    {
        // This instance's previous response of the conversation goes first: its events precede the new one's. One that did
        // not end here (Redis refused it, or another instance ended it) has nothing left that Redis would take: no wait.
        if (_owned.TryGetValue(conversationId, out OwnedResponse? previous) && previous.Ended && !previous.Drained.Task.IsCompleted
            && !previous.Drained.Task.Wait(_context.Options.OperationTimeout))
        {
            throw Unavailable(conversationId, $"the previous response's events have not reached Redis within {_context.Options.OperationTimeout} (OperationTimeout)", null);
        }

        ConversationKeys keys = _context.KeysOf(conversationId);
        _floors.TryGetValue(conversationId, out ChatStreamPosition floor);
        RedisResult[] result;
        try
        {
            result = (RedisResult[])_context.Database.ScriptEvaluate(
                RedisScripts.Claim,
                keys.All,
                [
                    _context.InstanceId,
                    Epochs.New(),
                    RedisContext.Milliseconds(_context.Options.LeaseDuration),
                    RedisContext.Milliseconds(_context.Options.MetadataExpiry),
                    keys.ChannelName,
                    _context.Time.GetUtcNow().UtcTicks,
                    RedisChatStreamingErrors.ProducerLost,
                    _context.ResponsesKept,
                    floor.Epoch ?? string.Empty,
                    floor.Sequence,
                ])!;
        }
        catch (Exception ex) when (ex is RedisConnectionException or RedisTimeoutException or TimeoutException)
        {
            throw Unavailable(conversationId, "Redis could not be reached", ex);
        }

        string epoch = (string)result[1]!;
        long sequence = (long)result[2];
        if ((string)result[0]! == "busy")
        {
            throw new ChatStreamingException(
                ChatStreamingError.ResponseAlreadyStarted,
                conversationId,
                $"Conversation '{conversationId}' already has an active response (started at sequence {sequence}) on another instance; publish Finished or Failed there before starting another.");
        }

        var owned = new OwnedResponse(keys, epoch, sequence);
        _owned[conversationId] = owned;
        _floors.TryRemove(conversationId, out _);

        // Responses of other instances came in between that this instance has not received (yet): apply them first, so that
        // a subscription here that was up to date gets them before this response, never a jump over them.
        if (Local is { } local && sequence > 1)
        {
            ChatStreamPosition? known = local.GetLastPosition(conversationId);
            if (known is { } same && same.Epoch == epoch)
            {
                if (same.Sequence < sequence - 1)
                {
                    CatchUp(keys, epoch, same.Sequence + 1, sequence - 1);
                }
            }
            else if (local.SubscriberCount > 0)
            {
                // Nothing here of this stream yet, but maybe subscriptions waiting for a response: the latest one is theirs.
                CatchUp(keys, epoch, ResponseStartOf(keys, epoch, sequence - 1), sequence - 1);
            }
        }

        return new ChatStreamPosition(epoch, sequence);
    }

    /// <summary>The first sequence of the response that holds <paramref name="sequence"/> (its entry says), or past it when the stream no longer has it.</summary>
    private long ResponseStartOf(ConversationKeys keys, string epoch, long sequence)
    {
        try
        {
            string id = EventCodec.EntryId(sequence);
            StreamEntry[] entry = _context.Database.StreamRange(keys.Stream, id, id, count: 1);
            return entry.Length == 0 ? sequence + 1 : EventCodec.Decode(keys.ConversationId, epoch, entry[0]).ResponseStart;
        }
        catch (Exception ex) when (ex is RedisException or TimeoutException or FormatException)
        {
            Log.ReadFailed(_context.Logger, keys.ConversationId, ex.Message);
            return sequence + 1;
        }
    }

    /// <summary>Replicates the stream's events from <paramref name="from"/> to <paramref name="to"/> into the local store (under the conversation's lock, which is re-entrant).</summary>
    private void CatchUp(ConversationKeys keys, string epoch, long from, long to)
    {
        try
        {
            while (from <= to)
            {
                StreamEntry[] entries = _context.Database.StreamRange(keys.Stream, EventCodec.EntryId(from), EventCodec.EntryId(to), count: 1024);
                if (entries.Length == 0)
                {
                    return;
                }

                foreach (StreamEntry entry in entries)
                {
                    (ChatStreamingEvent e, _) = EventCodec.Decode(keys.ConversationId, epoch, entry);
                    if (Local!.Replicate(e) == ChatReplicationResult.Missing)
                    {
                        return;
                    }

                    from = e.Sequence + 1;
                }
            }
        }
        catch (Exception ex) when (ex is RedisException or TimeoutException or FormatException)
        {
            // The response still starts; the local store continues at its sequence.
            Log.ReadFailed(_context.Logger, keys.ConversationId, ex.Message);
        }
    }

    public void Append(in ChatStreamingEvent published)
    {
        _owned.TryGetValue(published.ConversationId, out OwnedResponse? owned);
        if (owned is not null)
        {
            // Before the floor below: a Lose on the write loop reads it, so one of the two sees this sequence.
            Volatile.Write(ref owned.LastSequence, published.Sequence);
        }

        if (_floors.TryGetValue(published.ConversationId, out ChatStreamPosition floor) && published.Epoch == floor.Epoch && published.Sequence > floor.Sequence)
        {
            _floors[published.ConversationId] = published.Position;
        }

        if (owned is null || owned.Lost || Crashed)
        {
            return;
        }

        if (published.IsTerminal)
        {
            owned.Ended = true;
        }

        Interlocked.Increment(ref owned.Pending);
        Interlocked.Increment(ref _outboxLength);
        _outbox.Writer.TryWrite(new OutboxItem(owned, published));
    }

    /// <summary>Whether another instance owns the conversation's active response (for the error a refused event gets).</summary>
    public string? OwnerElsewhere(string conversationId)
    {
        try
        {
            ConversationKeys keys = _context.KeysOf(conversationId);
            RedisValue[] meta = _context.Database.HashGet(keys.Meta, ["a", "o"]);
            return meta[0].TryParse(out long active) && active > 0 && !meta[1].IsNullOrEmpty && meta[1] != _context.InstanceId && _context.Database.KeyExists(keys.Lease)
                ? (string?)meta[1]
                : null;
        }
        catch (Exception ex) when (ex is RedisException or TimeoutException)
        {
            return null;
        }
    }

    private ChatStreamingException Unavailable(string conversationId, string why, Exception? inner)
        => new(
            ChatStreamingError.StoreUnavailable,
            conversationId,
            $"Cannot start a response in conversation '{conversationId}': {why}. Another instance may own the conversation, so a response starts only when Redis confirms it; retry later.",
            inner);

    private async Task WriteLoopAsync()
    {
        ChannelReader<OutboxItem> reader = _outbox.Reader;
        var batch = new List<OutboxItem>(_context.Options.MaxBatchSize);
        var groups = new Dictionary<OwnedResponse, List<ChatStreamingEvent>>();
        var writes = new List<Task>();
        while (await reader.WaitToReadAsync().ConfigureAwait(false))
        {
            while (batch.Count < _context.Options.MaxBatchSize && reader.TryRead(out OutboxItem item))
            {
                batch.Add(item);
            }

            // One script per response per batch; within a response the order is the outbox's, which is the sequence order.
            foreach (OutboxItem item in batch)
            {
                if (!groups.TryGetValue(item.Response, out List<ChatStreamingEvent>? events))
                {
                    groups[item.Response] = events = [];
                }

                events.Add(item.Event);
            }

            // The conversations' scripts go out together (pipelined on the connection) and are awaited once: one round trip
            // per batch, not per conversation. A conversation's order holds: one script per conversation per batch, and the
            // next batch starts when this one is written.
            writes.Clear();
            foreach ((OwnedResponse response, List<ChatStreamingEvent> events) in groups)
            {
                writes.Add(WriteAndReleaseAsync(response, events));
            }

            await Task.WhenAll(writes).ConfigureAwait(false);

            batch.Clear();
            groups.Clear();
            if (OutboxLength == 0)
            {
                ReleaseFlushWaiters();
            }
        }

        ReleaseFlushWaiters();
    }

    /// <summary>Completes when every event appended so far has been written to Redis (or dropped with its lost response).</summary>
    public Task FlushAsync(CancellationToken cancellationToken)
    {
        var waiter = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        lock (_flushWaiters)
        {
            _flushWaiters.Add(waiter);
        }

        // Checked after registering, so an outbox that emptied in between still releases this waiter.
        if (OutboxLength == 0 || _writer.IsCompleted)
        {
            ReleaseFlushWaiters();
        }

        return waiter.Task.WaitAsync(cancellationToken);
    }

    private void ReleaseFlushWaiters()
    {
        TaskCompletionSource[] waiters;
        lock (_flushWaiters)
        {
            waiters = [.. _flushWaiters];
            _flushWaiters.Clear();
        }

        foreach (TaskCompletionSource waiter in waiters)
        {
            waiter.TrySetResult();
        }
    }

    private async Task WriteAndReleaseAsync(OwnedResponse response, List<ChatStreamingEvent> events)
    {
        try
        {
            await WriteAsync(response, events).ConfigureAwait(false);
        }
#pragma warning disable CA1031 // Whatever goes wrong fails this one write (its response ends), never the loop that writes the others.
        catch (Exception ex)
#pragma warning restore CA1031
        {
            Log.WriteFailed(_context.Logger, response.Keys.ConversationId, ex);
            Lose(response, RedisChatStreamingErrors.WriteFailed);
        }

        Interlocked.Add(ref _outboxLength, -events.Count);
        if (Interlocked.Add(ref response.Pending, -events.Count) == 0 && (response.Ended || response.Lost))
        {
            response.Drained.TrySetResult();
            _owned.TryRemove(new KeyValuePair<string, OwnedResponse>(response.Keys.ConversationId, response));
        }
    }

    /// <summary>Writes one response's events, retrying until Redis takes them, refuses them, or the store stops waiting.</summary>
    private async Task WriteAsync(OwnedResponse response, List<ChatStreamingEvent> events)
    {
        // Once the store stopped waiting (ShutdownTimeout), what is left is dropped, not tried batch after batch.
        if (response.Lost || Crashed || _stopping.IsCancellationRequested)
        {
            return;
        }

        RedisValue[] arguments = BuildArguments(response, events);
        int failures = 0;
        while (true)
        {
            long started = Stopwatch.GetTimestamp();
            try
            {
                var written = (long)(await _context.Database.ScriptEvaluateAsync(RedisScripts.Append, response.Keys.All, arguments).ConfigureAwait(false));
                _context.Telemetry.WriteCompleted(Stopwatch.GetElapsedTime(started), events.Count);
                if (written < 0)
                {
                    Lose(response, written == -1
                        ? RedisChatStreamingErrors.StreamLost
                        : RedisChatStreamingErrors.ResponseTakenOver);
                }

                return;
            }
            catch (Exception ex) when (ex is RedisConnectionException or RedisTimeoutException or TimeoutException)
            {
                // Redis is away: keep the batch and its place, and try again when it may be back.
                if (_stopping.IsCancellationRequested || Crashed)
                {
                    return;
                }

                Log.WriteRetrying(_context.Logger, response.Keys.ConversationId, ex.Message);
            }
            catch (Exception ex) when (ex is RedisException)
            {
                // TRYAGAIN during resharding and the like: retry a few times; then this write fails, never the loop.
                if (++failures >= 5 || _stopping.IsCancellationRequested)
                {
                    Log.WriteFailed(_context.Logger, response.Keys.ConversationId, ex);
                    Lose(response, RedisChatStreamingErrors.WriteFailed);
                    return;
                }
            }

            try
            {
                await Task.Delay(Backoff(failures++), _stopping.Token).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                return;
            }
        }
    }

    // Real time, not the store's TimeProvider: this waits for a real server to come back.
    private static TimeSpan Backoff(int failures) => TimeSpan.FromMilliseconds(Math.Min(1000, 25 * (1 << Math.Min(failures, 6))));

    private RedisValue[] BuildArguments(OwnedResponse response, List<ChatStreamingEvent> events)
    {
        var arguments = new RedisValue[10 + (events.Count * 2)];
        var entries = new List<(long, string)>(events.Count);
        bool ended = false;
        for (int i = 0; i < events.Count; i++)
        {
            ChatStreamingEvent e = events[i];
            string value = EventCodec.Encode(e, response.Start);
            entries.Add((e.Sequence, value));
            arguments[10 + (2 * i)] = e.Sequence;
            arguments[11 + (2 * i)] = value;
            ended |= e.IsTerminal;
        }

        arguments[0] = _context.InstanceId;
        arguments[1] = response.Epoch;
        arguments[2] = response.StartText;
        arguments[3] = RedisContext.Milliseconds(_context.Options.LeaseDuration);
        arguments[4] = RedisContext.Milliseconds(_context.Options.MetadataExpiry);
        arguments[5] = RedisContext.Milliseconds(_context.StreamExpiry);
        arguments[6] = _context.Options.MaxStreamLength;
        arguments[7] = response.Keys.ChannelName;
        arguments[8] = EventCodec.EncodeMessage(response.Epoch, entries);
        arguments[9] = ended ? "1" : "0";
        return arguments;
    }

    private void Lose(OwnedResponse response, string reason)
    {
        if (response.Lost)
        {
            return;
        }

        response.Lost = true;
        if (Volatile.Read(ref response.Pending) == 0)
        {
            // Refused while nothing waited (a renewal learnt it): no write will drain it, so release it here.
            response.Drained.TrySetResult();
            _owned.TryRemove(new KeyValuePair<string, OwnedResponse>(response.Keys.ConversationId, response));
        }

        var floor = new ChatStreamPosition(response.Epoch, Volatile.Read(ref response.LastSequence));
        _floors.AddOrUpdate(response.Keys.ConversationId, floor, (_, known) => known.Epoch == floor.Epoch && known.Sequence > floor.Sequence ? known : floor);
        _context.Telemetry.ResponseLost();
        Log.ResponseLost(_context.Logger, response.Keys.ConversationId, response.Start, reason);
        if (!response.Ended)
        {
            // Not on the write loop: ending the response takes its conversation's lock, which a Started may hold while it
            // waits for this loop to drain the conversation's previous response.
            string conversationId = response.Keys.ConversationId;
            _ = Task.Run(() => _responseLost(conversationId, response.Start, reason));
        }
    }

    private void RenewLeases()
    {
        foreach (OwnedResponse response in _owned.Values)
        {
            if (!response.Ended && !response.Lost && !Crashed)
            {
                _ = RenewAsync(response);
            }
        }
    }

    private async Task RenewAsync(OwnedResponse response)
    {
        try
        {
            var result = (long)(await _context.Database.ScriptEvaluateAsync(
                RedisScripts.Renew,
                response.Keys.All,
                [
                    _context.InstanceId,
                    response.Epoch,
                    response.StartText,
                    RedisContext.Milliseconds(_context.Options.LeaseDuration),
                    RedisContext.Milliseconds(_context.StreamExpiry),
                    RedisContext.Milliseconds(_context.Options.MetadataExpiry),
                ]).ConfigureAwait(false));

            // Refused while events still wait: the write will learn the same and say so; with nothing waiting, say it here.
            if (result < 0 && Volatile.Read(ref response.Pending) == 0 && !response.Ended)
            {
                Lose(response, result == -1 ? RedisChatStreamingErrors.StreamLost : RedisChatStreamingErrors.ResponseTakenOver);
            }
        }
        catch (Exception ex) when (ex is RedisException or TimeoutException)
        {
            // The next tick tries again; a lease that lapses meanwhile is what other instances watch for.
        }
    }

    /// <summary>Stops as a killed process would: nothing more is written, no lease is renewed.</summary>
    internal void Crash()
    {
        Crashed = true;
        _renewTimer.Dispose();
        _stopping.Cancel();
    }

    public async ValueTask DisposeAsync()
    {
        _renewTimer.Dispose();
        _outbox.Writer.TryComplete();
        Task finished = await Task.WhenAny(_writer, Task.Delay(_context.Options.ShutdownTimeout)).ConfigureAwait(false);
        if (finished != _writer)
        {
            Log.ShutdownTimedOut(_context.Logger, OutboxLength, _context.Options.ShutdownTimeout);
        }

        _stopping.Cancel();
        await _writer.ConfigureAwait(false);
        _stopping.Dispose();
    }
}
