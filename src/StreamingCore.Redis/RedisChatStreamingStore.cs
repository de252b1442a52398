using System.Diagnostics.Metrics;
using System.Runtime.CompilerServices;
using System.Runtime.ExceptionServices;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using StackExchange.Redis;
using StreamingCore.Redis.Internal;

namespace StreamingCore.Redis;

/// <summary>
/// An <see cref="IChatStreamingStore"/> shared by every app instance that uses the same Redis: a response published on one
/// instance is subscribed to, and resumed exactly from any position, on any other, live and with the same contract and
/// errors as one instance.
/// </summary>
/// <remarks>
/// <para>
/// Each instance keeps a local <see cref="DefaultChatStreamingStore"/> (<see cref="Local"/>) that does what one instance
/// does: lifecycle rules, limits, subscriber queues, retention, statistics, telemetry. The responses it produces are recorded
/// in Redis through an <see cref="IChatStreamingJournal"/>: a <c>Started</c> claims the conversation in Redis (one script),
/// later events are delivered here at once and written to Redis in order, batched, from a bounded outbox. The conversations
/// that subscriptions here follow are mirrored into the local store from Redis (PUB/SUB for the live events, the stream to
/// repair a gap), so every subscriber is served by the local store's queues.
/// </para>
/// <para>See <c>docs/scale-out.md</c> for the keys, the scripts and what happens in each failure.</para>
/// </remarks>
public sealed class RedisChatStreamingStore : IChatStreamingStore, IAsyncDisposable, IDisposable
{
    private readonly RedisContext _context;
    private readonly RedisJournal _journal;
    private readonly bool _ownsMultiplexer;
    private readonly Dictionary<string, ConversationMirror> _mirrors = new(StringComparer.Ordinal);
    private readonly object _mirrorsGate = new();

    // WhenSubscribedAsync's waiters; guarded by _mirrorsGate.
    private readonly List<(string ConversationId, int Count, TaskCompletionSource Signal)> _registrationWaiters = [];
    private volatile bool _disposed;

    // 0 running, 1 disposing or disposed: DisposeAsync runs once.
    private int _disposeState;

    /// <summary>Initializes a new store on a Redis connection.</summary>
    /// <param name="multiplexer">The connection. The store disposes it only when <paramref name="ownsMultiplexer"/> is true.</param>
    /// <param name="options">The store's settings; default values when null.</param>
    /// <param name="redisOptions">The Redis settings; default values when null.</param>
    /// <param name="timeProvider">The clock; <see cref="TimeProvider.System"/> when null.</param>
    /// <param name="loggerFactory">Creates the loggers; none when null.</param>
    /// <param name="meterFactory">Creates the <c>StreamingCore</c> meter; a process-wide meter when null.</param>
    /// <param name="ownsMultiplexer">True when disposing the store should dispose <paramref name="multiplexer"/>.</param>
    /// <exception cref="ArgumentNullException"><paramref name="multiplexer"/> is null.</exception>
    /// <exception cref="Microsoft.Extensions.Options.OptionsValidationException">An option is invalid; the message names every invalid one.</exception>
    public RedisChatStreamingStore(
        IConnectionMultiplexer multiplexer,
        ChatStreamingOptions? options = null,
        RedisChatStreamingOptions? redisOptions = null,
        TimeProvider? timeProvider = null,
        ILoggerFactory? loggerFactory = null,
        IMeterFactory? meterFactory = null,
        bool ownsMultiplexer = false)
    {
        ArgumentNullException.ThrowIfNull(multiplexer);
        options ??= new ChatStreamingOptions();
        redisOptions ??= new RedisChatStreamingOptions();
        RedisChatStreamingOptionsValidator.ThrowIfInvalid(redisOptions);
        timeProvider ??= TimeProvider.System;
        loggerFactory ??= NullLoggerFactory.Instance;
        _ownsMultiplexer = ownsMultiplexer;

        var telemetry = new RedisTelemetry(meterFactory, () => _journal?.OutboxLength ?? 0);
        _context = new RedisContext(multiplexer, redisOptions, options, timeProvider, loggerFactory.CreateLogger<RedisChatStreamingStore>(), telemetry);
        _journal = new RedisJournal(_context, OnResponseLost);
        Local = new DefaultChatStreamingStore(options, timeProvider, loggerFactory.CreateLogger<DefaultChatStreamingStore>(), meterFactory, _journal);
        _journal.Local = Local;
        multiplexer.ConnectionRestored += OnConnectionRestored;
    }

    /// <summary>
    /// Gets this instance's local store: the responses produced here and the conversations followed here. Its statistics and
    /// counts are this instance's; publish and subscribe through this store, not through it.
    /// </summary>
    public DefaultChatStreamingStore Local { get; }

    /// <summary>Gets the events published on this instance, live (read another instance's conversations with <c>SubscribeAsync</c>).</summary>
    public IObservable<ChatStreamingEvent> Events => Local.Events;

    /// <summary>Gets how many events wait on this instance to be written to Redis.</summary>
    public int OutboxLength => _journal.OutboxLength;

    /// <summary>
    /// Waits until no event published on this instance waits to be written to Redis (an app that wants its last answers
    /// stored before it stops, a test). While Redis is unreachable it waits for it to return.
    /// </summary>
    /// <param name="cancellationToken">Stops waiting; the events stay queued.</param>
    /// <returns>A task that completes when the outbox is empty.</returns>
    public Task FlushAsync(CancellationToken cancellationToken = default) => _journal.FlushAsync(cancellationToken);

    /// <summary>Gets how many conversations this instance follows in Redis (for its subscriptions).</summary>
    public int FollowedConversationCount
    {
        get
        {
            lock (_mirrorsGate)
            {
                return _mirrors.Count;
            }
        }
    }

    /// <inheritdoc />
    /// <exception cref="ChatStreamingException">
    /// Also <see cref="ChatStreamingError.ResponseOwnedElsewhere"/> for an event of another instance's active response, and
    /// <see cref="ChatStreamingError.StoreUnavailable"/> for a <c>Started</c> while Redis cannot be reached or a <c>Delta</c>
    /// while the outbox is full (<see cref="RedisChatStreamingOptions.MaxOutboxLength"/>).
    /// </exception>
    public ChatStreamingEvent Publish(ChatStreamingEvent streamingEvent)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        if (streamingEvent.Kind == ChatStreamingEventKind.Delta && _journal.IsFull)
        {
            throw new ChatStreamingException(
                ChatStreamingError.StoreUnavailable,
                streamingEvent.ConversationId,
                $"Cannot publish a delta to conversation '{streamingEvent.ConversationId}': {_journal.OutboxLength} events already wait to be written to Redis (MaxOutboxLength {_context.Options.MaxOutboxLength}). Nothing was stamped; retry later, or end the response with Failed.");
        }

        try
        {
            return Local.Publish(streamingEvent);
        }
        catch (ChatStreamingException ex) when (ex.Error == ChatStreamingError.ResponseNotStarted && _journal.OwnerElsewhere(streamingEvent.ConversationId) is not null)
        {
            throw new ChatStreamingException(
                ChatStreamingError.ResponseOwnedElsewhere,
                streamingEvent.ConversationId,
                $"Cannot publish {streamingEvent.Kind} to conversation '{streamingEvent.ConversationId}': its active response belongs to another instance, which publishes the rest of it.",
                ex);
        }
    }

    /// <inheritdoc />
    [System.Diagnostics.CodeAnalysis.SuppressMessage("ApiDesign", "RS0026:Do not add multiple public overloads with optional parameters", Justification = "The contract's two resume points, sequence and position; neither call is ambiguous.")]
    public IAsyncEnumerable<ChatStreamingEvent> SubscribeAsync(string conversationId, long afterSequence = 0, CancellationToken cancellationToken = default)
    {
        // The local store checks the arguments as one instance does, before anything reaches Redis.
        IAsyncEnumerable<ChatStreamingEvent> local = Local.SubscribeAsync(conversationId, afterSequence, cancellationToken);
        return SubscribeCoreAsync(conversationId, null, afterSequence, local, cancellationToken);
    }

    /// <inheritdoc />
    [System.Diagnostics.CodeAnalysis.SuppressMessage("ApiDesign", "RS0026:Do not add multiple public overloads with optional parameters", Justification = "The contract's two resume points, sequence and position; neither call is ambiguous.")]
    public IAsyncEnumerable<ChatStreamingEvent> SubscribeAsync(string conversationId, ChatStreamPosition after, CancellationToken cancellationToken = default)
    {
        IAsyncEnumerable<ChatStreamingEvent> local = Local.SubscribeAsync(conversationId, after, cancellationToken);
        return SubscribeCoreAsync(conversationId, after.Epoch, after.Sequence, local, cancellationToken);
    }

    private async IAsyncEnumerable<ChatStreamingEvent> SubscribeCoreAsync(
        string conversationId,
        string? epoch,
        long afterSequence,
        IAsyncEnumerable<ChatStreamingEvent> local,
        [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        cancellationToken.ThrowIfCancellationRequested();
        ObjectDisposedException.ThrowIf(_disposed, this);
        ConversationMirror mirror = Follow(conversationId);
        IAsyncEnumerator<ChatStreamingEvent>? events = null;
        bool registered = false;
        try
        {
            await mirror.ReadyAsync(cancellationToken).ConfigureAwait(false);
            if (epoch is not null)
            {
                // First catch up (it reads Redis when this instance is behind the position), then judge the epoch on what Redis holds now.
                await mirror.CatchUpAsync(epoch, afterSequence, cancellationToken).ConfigureAwait(false);
                if (await mirror.IsReplacedAsync(epoch).ConfigureAwait(false))
                {
                    throw new ChatStreamingException(
                        ChatStreamingError.SequenceNotRetained,
                        conversationId,
                        $"Cannot resume conversation '{conversationId}' after position {new ChatStreamPosition(epoch, afterSequence)}: the events after it are not retained (the position is from another epoch: Redis lost the conversation's stream and holds another one, or none). Subscribe with afterSequence 0 for the current response.");
                }
            }
            else if (afterSequence > 0 && mirror.CurrentEpoch is { } current)
            {
                // A sequence alone is a position in the stream Redis holds now: catch up with it as for a position.
                await mirror.CatchUpAsync(current, afterSequence, cancellationToken).ConfigureAwait(false);
            }

            events = local.GetAsyncEnumerator(cancellationToken);
            bool more;
            ExceptionDispatchInfo? notRetained = null;
            try
            {
                // The local store registers the subscription synchronously, in the first MoveNextAsync, before it waits.
                ValueTask<bool> first = events.MoveNextAsync();
                registered = true;
                Registered(mirror, +1);
                more = await first.ConfigureAwait(false);
            }
            catch (ChatStreamingException ex) when (ex.Error == ChatStreamingError.SequenceNotRetained && (epoch is not null || afterSequence > 0))
            {
                notRetained = ExceptionDispatchInfo.Capture(ex);
                more = false;
            }

            if (notRetained is not null)
            {
                // This instance no longer holds it; Redis may (an ended response, kept for the retention period).
                IReadOnlyList<ChatStreamingEvent>? history = await ReadEndedResponseAsync(conversationId, epoch, afterSequence).ConfigureAwait(false);
                if (history is null)
                {
                    notRetained.Throw();
                }

                foreach (ChatStreamingEvent e in history!)
                {
                    cancellationToken.ThrowIfCancellationRequested();
                    yield return e;
                }

                yield break;
            }

            while (more)
            {
                yield return events.Current;
                more = await events.MoveNextAsync().ConfigureAwait(false);
            }
        }
        finally
        {
            if (events is not null)
            {
                await events.DisposeAsync().ConfigureAwait(false);
            }

            if (registered)
            {
                Registered(mirror, -1);
            }

            Unfollow(mirror);
        }
    }

    /// <summary>
    /// Reads from Redis the rest of the ended response that holds the event after <paramref name="afterSequence"/>, all of it
    /// or nothing: null when Redis does not hold it whole, it is still active, or its retention period has passed.
    /// </summary>
    private async Task<IReadOnlyList<ChatStreamingEvent>?> ReadEndedResponseAsync(string conversationId, string? epoch, long afterSequence)
    {
        ConversationKeys keys = _context.KeysOf(conversationId);
        try
        {
            RedisValue stored = await _context.Database.HashGetAsync(keys.Meta, "e").ConfigureAwait(false);
            if (stored.IsNull || (epoch is not null && stored != epoch))
            {
                return null;
            }

            string streamEpoch = stored!;
            if (!await IsRetainedResponseAsync(keys, streamEpoch, afterSequence + 1).ConfigureAwait(false))
            {
                return null;
            }

            var events = new List<ChatStreamingEvent>();
            long next = afterSequence + 1;
            int limit = _context.StoreOptions.MaxEventsPerResponse;
            while (events.Count <= limit)
            {
                StreamEntry[] entries = await _context.Database.StreamRangeAsync(keys.Stream, EventCodec.EntryId(next), "+", count: 512).ConfigureAwait(false);
                if (entries.Length == 0)
                {
                    return null;
                }

                foreach (StreamEntry entry in entries)
                {
                    if (EventCodec.SequenceOf(entry.Id) != next)
                    {
                        // Trimmed or expired in the middle: never a partial replay.
                        return null;
                    }

                    (ChatStreamingEvent e, _) = EventCodec.Decode(conversationId, streamEpoch, entry);
                    events.Add(e);
                    next++;
                    if (e.IsTerminal)
                    {
                        bool retained = _context.StoreOptions.RetentionPeriod > TimeSpan.Zero
                            && e.Timestamp + _context.StoreOptions.RetentionPeriod > _context.Time.GetUtcNow();
                        return retained ? events : null;
                    }
                }
            }

            return null;
        }
        catch (Exception ex) when (ex is RedisException or TimeoutException)
        {
            Log.ReadFailed(_context.Logger, conversationId, ex.Message);
            return null;
        }
    }

    /// <summary>
    /// Whether the response holding <paramref name="sequence"/> is one of the conversation's last
    /// <see cref="ChatStreamingOptions.MaxRetainedResponsesPerConversation"/> ended responses, as one instance would retain.
    /// </summary>
    private async Task<bool> IsRetainedResponseAsync(ConversationKeys keys, string epoch, long sequence)
    {
        string id = EventCodec.EntryId(sequence);
        StreamEntry[] first = await _context.Database.StreamRangeAsync(keys.Stream, id, id, count: 1).ConfigureAwait(false);
        if (first.Length == 0)
        {
            return false;
        }

        (_, long start) = EventCodec.Decode(keys.ConversationId, epoch, first[0]);
        RedisValue active = await _context.Database.HashGetAsync(keys.Meta, "a").ConfigureAwait(false);
        RedisValue[] starts = await _context.Database.ListRangeAsync(keys.Responses).ConfigureAwait(false);
        long[] ended = [.. starts.Select(value => (long)value).Where(value => value != (long)active)];
        return ended.TakeLast(_context.StoreOptions.MaxRetainedResponsesPerConversation).Contains(start);
    }

    /// <summary>Gets the statistics of a conversation's current response as this instance knows it (see <see cref="DefaultChatStreamingStore.GetStatistics"/>).</summary>
    /// <param name="conversationId">The conversation.</param>
    /// <returns>A snapshot, or <see langword="null"/> when this instance holds no active or retained response of it.</returns>
    /// <exception cref="ArgumentException"><paramref name="conversationId"/> is invalid.</exception>
    public ChatResponseStatistics? GetStatistics(string conversationId) => Local.GetStatistics(conversationId);

    /// <summary>Gets the statistics of every response of a conversation that this instance holds, oldest first.</summary>
    /// <param name="conversationId">The conversation.</param>
    /// <returns>The snapshots; empty when this instance holds no response of it.</returns>
    /// <exception cref="ArgumentException"><paramref name="conversationId"/> is invalid.</exception>
    public IReadOnlyList<ChatResponseStatistics> GetResponseStatistics(string conversationId) => Local.GetResponseStatistics(conversationId);

    /// <summary>
    /// Test hook: completes once exactly <paramref name="count"/> subscriptions to the conversation are registered here
    /// (caught up with Redis and live in the local store).
    /// </summary>
    internal Task WhenSubscribedAsync(string conversationId, int count = 1)
    {
        lock (_mirrorsGate)
        {
            int registered = _mirrors.TryGetValue(conversationId, out ConversationMirror? mirror) ? mirror.Registered : 0;
            if (registered == count)
            {
                return Task.CompletedTask;
            }

            var signal = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            _registrationWaiters.Add((conversationId, count, signal));
            return signal.Task;
        }
    }

    private void Registered(ConversationMirror mirror, int change)
    {
        List<TaskCompletionSource>? ready = null;
        lock (_mirrorsGate)
        {
            mirror.Registered += change;
            for (int i = _registrationWaiters.Count - 1; i >= 0; i--)
            {
                (string id, int count, TaskCompletionSource signal) = _registrationWaiters[i];
                if (id == mirror.Keys.ConversationId && mirror.Registered == count)
                {
                    (ready ??= []).Add(signal);
                    _registrationWaiters.RemoveAt(i);
                }
            }
        }

        ready?.ForEach(signal => signal.TrySetResult());
    }

    /// <summary>
    /// Test hook: completes once this instance has applied the conversation's events up to <paramref name="sequence"/> from
    /// Redis (a conversation it does not follow has nothing to apply).
    /// </summary>
    internal Task WhenAppliedAsync(string conversationId, long sequence)
    {
        ConversationMirror? mirror;
        lock (_mirrorsGate)
        {
            _mirrors.TryGetValue(conversationId, out mirror);
        }

        return mirror?.WhenAppliedAsync(sequence) ?? Task.CompletedTask;
    }

    private ConversationMirror Follow(string conversationId)
    {
        lock (_mirrorsGate)
        {
            if (!_mirrors.TryGetValue(conversationId, out ConversationMirror? mirror))
            {
                mirror = new ConversationMirror(_context, Local, conversationId, OnMirrorIdle);
                _mirrors.Add(conversationId, mirror);
                mirror.Start();
            }

            mirror.References++;
            return mirror;
        }
    }

    private void Unfollow(ConversationMirror mirror)
    {
        lock (_mirrorsGate)
        {
            mirror.References--;
        }

        OnMirrorIdle(mirror);
    }

    /// <summary>Stops following a conversation that no subscription here follows and that has no mirrored response in progress.</summary>
    private void OnMirrorIdle(ConversationMirror mirror)
    {
        lock (_mirrorsGate)
        {
            if (mirror.References > 0
                || !_mirrors.TryGetValue(mirror.Keys.ConversationId, out ConversationMirror? current) || current != mirror)
            {
                return;
            }

            // Under the registry's lock, so that no subscription finds a stopped mirror; TryStop decides under the mirror's
            // own lock, so that no event is applied between the check and the stop.
            if (!mirror.TryStop(force: _disposed))
            {
                return;
            }

            _mirrors.Remove(mirror.Keys.ConversationId);
        }
    }

    private void OnConnectionRestored(object? sender, ConnectionFailedEventArgs e)
    {
        ConversationMirror[] mirrors;
        lock (_mirrorsGate)
        {
            mirrors = [.. _mirrors.Values];
        }

        foreach (ConversationMirror mirror in mirrors)
        {
            _ = SyncQuietlyAsync(mirror);
        }
    }

    private async Task SyncQuietlyAsync(ConversationMirror mirror)
    {
        try
        {
            await mirror.RecoverAsync().ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is RedisException or TimeoutException or ObjectDisposedException or FormatException or OverflowException or ArgumentException)
        {
            Log.ReadFailed(_context.Logger, mirror.Keys.ConversationId, ex.Message);
        }
    }

    /// <summary>Ends this instance's own response that Redis no longer accepts, so its producer and subscribers learn it.</summary>
    private void OnResponseLost(string conversationId, long start, string reason)
    {
        if (_disposed || Local.GetStatistics(conversationId) is not { Outcome: ChatResponseOutcome.Streaming } current || current.StartSequence != start)
        {
            return;
        }

        try
        {
            Local.Publish(ChatStreamingEvent.Failed(conversationId, reason));
        }
        catch (ChatStreamingException)
        {
            // It ended meanwhile.
        }
        catch (ObjectDisposedException)
        {
            // The store stopped meanwhile.
        }
    }

    /// <summary>Diagnostics for a test's failure message: what this instance knows of a conversation.</summary>
    internal string Describe(string conversationId)
    {
        ConversationMirror? mirror;
        lock (_mirrorsGate)
        {
            _mirrors.TryGetValue(conversationId, out mirror);
        }

        IReadOnlyList<ChatResponseStatistics> responses = Local.GetResponseStatistics(conversationId);
        return $"local last {Local.GetLastPosition(conversationId)?.ToString() ?? "none"}, responses [{string.Join(", ", responses.Select(r => $"{r.StartSequence}:{r.Outcome}"))}], "
            + (mirror is null ? "no mirror" : $"mirror refs {mirror.References}/{mirror.Registered} {mirror.Describe()}");
    }

    /// <summary>The connection (tests watch it reconnect).</summary>
    internal IConnectionMultiplexer Multiplexer => _context.Multiplexer;

    /// <summary>Test hook: stops writing and renewing without a word, as an instance that is killed.</summary>
    internal void SimulateCrash()
    {
        _journal.Crash();
        _disposed = true;
    }

    /// <summary>
    /// Ends the store: its active responses end with Failed ("store disposed") for every instance's subscribers, queued
    /// events are written to Redis (waiting up to <see cref="RedisChatStreamingOptions.ShutdownTimeout"/>), subscriptions end,
    /// and the connection is disposed if the store owns it.
    /// </summary>
    /// <returns>A task that completes when the store has stopped.</returns>
    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposeState, 1) != 0)
        {
            return;
        }

        _disposed = true;
        _context.Multiplexer.ConnectionRestored -= OnConnectionRestored;
        Local.Dispose();
        await _journal.DisposeAsync().ConfigureAwait(false);
        ConversationMirror[] mirrors;
        lock (_mirrorsGate)
        {
            mirrors = [.. _mirrors.Values];
            _mirrors.Clear();
        }

        foreach (ConversationMirror mirror in mirrors)
        {
            mirror.TryStop(force: true);
        }

        if (_ownsMultiplexer)
        {
            await _context.Multiplexer.DisposeAsync().ConfigureAwait(false);
        }
    }

    /// <summary>Ends the store as <see cref="DisposeAsync"/> does, waiting for it.</summary>
    public void Dispose() => DisposeAsync().AsTask().GetAwaiter().GetResult();
}
