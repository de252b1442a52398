using System.Buffers;
using System.Collections.Concurrent;
using System.Diagnostics;
using System.Diagnostics.Metrics;
using System.Reactive.Linq;
using System.Runtime.CompilerServices;
using System.Threading.Channels;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace StreamingCore;

/// <summary>
/// The in-memory <see cref="IChatStreamingStore"/>: per-conversation sequencing, replay retention, a bounded
/// queue per subscriber with an <see cref="OverflowStrategy"/>, idle and retention eviction on a
/// <see cref="TimeProvider"/>, limits and per-response statistics.
/// </summary>
/// <remarks>
/// <para>
/// Built on the library's primitives: <see cref="ChunkSequencer{T}"/> numbers each conversation's events,
/// every subscriber and every <see cref="Events"/> observer reads its own <see cref="ResponseBuffer{T}"/>, and
/// idle responses are found by the same idle monitor as <see cref="StreamManager{T}"/>'s streams.
/// </para>
/// <para>
/// Thread-safe. Each conversation has one lock that serialises its publishes, subscriptions and evictions;
/// different conversations never contend. Publishing only ever writes to bounded queues, so it never waits
/// for a consumer.
/// </para>
/// </remarks>
[DebuggerDisplay("Conversations = {ConversationCount}, ActiveResponses = {ActiveResponseCount}")]
public sealed class DefaultChatStreamingStore : IChatStreamingStore, IDisposable
{
    // Conversations with an active or retained response or a live subscriber.
    private readonly ConcurrentDictionary<string, Conversation> _conversations = new(StringComparer.Ordinal);

    // The clock for timestamps, statistics, idle timeouts and retention.
    private readonly TimeProvider _timeProvider;

    // The time of each publish, from one clock read.
    private readonly EventClock _clock;

    // Metrics, traces, EventSource and logs.
    private readonly ChatStreamingTelemetry _telemetry;

    // Settings copied from the validated options.
    private readonly TimeSpan _idleTimeout;
    private readonly TimeSpan _retentionPeriod;
    private readonly int _maxActiveResponses;
    private readonly int _maxResponseLength;
    private readonly int _maxSubscribers;
    private readonly int _maxEventsPerResponse;
    private readonly int _maxRetainedPerConversation;
    private readonly long _maxRetainedBytes;
    private readonly int _maxWaitingSubscribers;
    private readonly TimeSpan _waitingTimeout;
    private readonly OverflowStrategy _subscriberOverflow;

    // The settings of every subscriber and observer queue, validated once and shared by all of them.
    private readonly ResponseBuffer<ChatStreamingEvent>.Settings _queueSettings;

    // Guards changes to _observers (readers take the array without it).
    private readonly object _observersGate = new();

    // The Events observers; replaced, never mutated.
    private EventsObserver[] _observers = [];

    // Active responses plus starts in progress; bounded by _maxActiveResponses.
    private int _activeResponses;

    // Events dropped from subscriber queues.
    private long _droppedEvents;

    // Live subscriptions plus Events observers.
    private int _subscribers;

    // Subscriptions waiting for a response to start; bounded by _maxWaitingSubscribers.
    private int _waitingSubscribers;

    // Expires the waits of subscriptions after _waitingTimeout (one timer for all); null when the timeout is infinite.
    private readonly WaitingSubscriptions? _waiting;

    // Guards _retainedOrder; a leaf lock, taken inside a conversation's lock and never the other way round.
    private readonly object _retainedGate = new();

    // Ended, retained responses of every conversation in the order they ended: the store-wide eviction order.
    private readonly LinkedList<ResponseLog> _retainedOrder = new();

    // The sum of AccountedBytes over _retainedOrder.
    private long _retainedBytes;

    // Events dropped from queues during the current publish on this thread; reported once its conversation's lock is released.
    [ThreadStatic]
    private static List<ChatStreamingEvent>? t_droppedEvents;

    // Where the responses this store produces are recorded for other instances; null for a store of its own.
    private readonly IChatStreamingJournal? _journal;

    private volatile bool _disposed;

    /// <summary>Initializes a new store.</summary>
    /// <param name="options">The settings; default values when null. Validated here.</param>
    /// <param name="timeProvider">The clock; <see cref="TimeProvider.System"/> when null.</param>
    /// <param name="logger">The logger; none when null.</param>
    /// <param name="meterFactory">Creates the <c>StreamingCore</c> meter; a process-wide meter when null.</param>
    /// <param name="journal">
    /// Where the responses this store produces are recorded for other store instances (a scale-out package supplies it);
    /// none when null.
    /// </param>
    /// <exception cref="Microsoft.Extensions.Options.OptionsValidationException">An option is invalid; the message names every invalid one.</exception>
    public DefaultChatStreamingStore(
        ChatStreamingOptions? options = null,
        TimeProvider? timeProvider = null,
        ILogger<DefaultChatStreamingStore>? logger = null,
        IMeterFactory? meterFactory = null,
        IChatStreamingJournal? journal = null)
    {
        _journal = journal;
        options ??= new ChatStreamingOptions();
        ChatStreamingOptionsValidator.ThrowIfInvalid(options);

        _timeProvider = timeProvider ?? TimeProvider.System;
        _clock = new EventClock(_timeProvider);
        _telemetry = new ChatStreamingTelemetry(meterFactory, logger ?? (ILogger)NullLogger.Instance);
        _subscriberOverflow = options.SubscriberOverflow;
        _idleTimeout = options.IdleTimeout;
        _retentionPeriod = options.RetentionPeriod;
        _maxActiveResponses = options.MaxActiveResponses;
        _maxResponseLength = options.MaxResponseLength;
        _maxSubscribers = options.MaxSubscribersPerConversation;
        _maxEventsPerResponse = options.MaxEventsPerResponse;
        _maxRetainedPerConversation = options.MaxRetainedResponsesPerConversation;
        _maxRetainedBytes = options.MaxRetainedBytes;
        _maxWaitingSubscribers = options.MaxWaitingSubscribers;
        _waitingTimeout = options.WaitingSubscriberTimeout;
        _waiting = _waitingTimeout == Timeout.InfiniteTimeSpan ? null : new WaitingSubscriptions(_timeProvider, _waitingTimeout, OnWaitExpired);
        _queueSettings = new ResponseBuffer<ChatStreamingEvent>.Settings(new ResponseBufferOptions<ChatStreamingEvent>
        {
            Capacity = options.SubscriberCapacity,
            OverflowStrategy = options.SubscriberOverflow,
            Merge = ChatEventMerge.Merge,
            CanDrop = ChatEventMerge.CanDrop,
            ItemDropped = OnEventDropped,
        });
        _telemetry.Attach(this);

        Events = Observable.Create<ChatStreamingEvent>(observer =>
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            var registration = new EventsObserver(this, observer, _queueSettings);
            lock (_observersGate)
            {
                _observers = [.. _observers, registration];
            }

            Interlocked.Increment(ref _subscribers);
            registration.Start();

            // Dispose may have swept the observers between the check above and the registration.
            if (_disposed)
            {
                RemoveObserver(registration);
                registration.Buffer.Writer.TryComplete();
            }

            return registration;
        });
    }

    /// <inheritdoc />
    public IObservable<ChatStreamingEvent> Events { get; }

    /// <summary>Gets the number of responses in progress.</summary>
    public int ActiveResponseCount => Volatile.Read(ref _activeResponses);

    /// <summary>Gets the number of conversations the store holds state for (an active or retained response, or a live subscriber).</summary>
    public int ConversationCount => _conversations.Count;

    /// <summary>Gets the number of live subscriptions (<c>SubscribeAsync</c> enumerations that are registered for live events) and <see cref="Events"/> observers.</summary>
    public int SubscriberCount => Volatile.Read(ref _subscribers);

    /// <summary>Gets how many events subscriber queues have dropped (under <see cref="OverflowStrategy.DropOldest"/> or <see cref="OverflowStrategy.DropNewest"/>).</summary>
    public long DroppedEventCount => Interlocked.Read(ref _droppedEvents);

    /// <summary>
    /// Gets how many times telemetry (a metrics or trace listener, the logger) threw inside the store. Such a failure never
    /// breaks a publish or a subscription; the first one is logged.
    /// </summary>
    public long TelemetryFailureCount => _telemetry.FailureCount;

    /// <summary>Gets about how many bytes the retained (ended) responses hold; bounded by <see cref="ChatStreamingOptions.MaxRetainedBytes"/>.</summary>
    public long RetainedBytes => Interlocked.Read(ref _retainedBytes);

    /// <summary>Gets how many subscriptions wait on conversations that have no active or retained response; bounded by <see cref="ChatStreamingOptions.MaxWaitingSubscribers"/>.</summary>
    public int WaitingSubscriberCount => Volatile.Read(ref _waitingSubscribers);

    /// <summary>The events queued for Events observers, all together (tests check it stays bounded).</summary>
    internal int QueuedEventsForObservers()
    {
        int total = 0;
        foreach (EventsObserver observer in Volatile.Read(ref _observers))
        {
            total += observer.Buffer.Reader.Count;
        }

        return total;
    }

    /// <inheritdoc />
    public ChatStreamingEvent Publish(ChatStreamingEvent streamingEvent)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        if (!streamingEvent.IsCreated)
        {
            throw new ArgumentException("The event was not created by a ChatStreamingEvent factory (Started, Delta, Finished or Failed).", nameof(streamingEvent));
        }

        if (streamingEvent.Sequence != 0)
        {
            throw new ArgumentException($"The event was already published (sequence {streamingEvent.Sequence}); publish a new event from a factory.", nameof(streamingEvent));
        }

        string conversationId = streamingEvent.ConversationId;
        ChatStreamingEvent stamped = default;
        ChatStreamingException? refusal = null;
        while (true)
        {
            Conversation? conversation;
            if (streamingEvent.Kind == ChatStreamingEventKind.Started)
            {
                conversation = GetOrAddConversation(conversationId);
            }
            else if (!_conversations.TryGetValue(conversationId, out conversation))
            {
                // Dispose empties the dictionary: report that, not a lifecycle error.
                ObjectDisposedException.ThrowIf(_disposed, this);
                throw Refused(streamingEvent, NotStarted(conversationId, streamingEvent.Kind, lastSequence: 0));
            }

            lock (conversation.Gate)
            {
                // Checked under the lock that Dispose takes too, so nothing is published into a disposed store.
                ObjectDisposedException.ThrowIf(_disposed, this);
                if (conversation.Removed)
                {
                    continue;
                }

                try
                {
                    stamped = PublishLocked(conversation, streamingEvent, outcome: null);
                    break;
                }
                catch (ChatStreamingException ex)
                {
                    refusal = ex;
                    break;
                }
                finally
                {
                    // A Started refused on a conversation created for it leaves nothing behind.
                    RemoveIfUnusedLocked(conversation);
                }
            }
        }

        // Drops happen inside a queue's write and refusals leave the lock by exception: their telemetry (other people's
        // code) runs here, after the lock. The telemetry of the event itself ran under it, after the event was delivered.
        ReportDrops();
        if (refusal is not null)
        {
            throw Refused(streamingEvent, refusal);
        }

        if (stamped.IsTerminal)
        {
            TrimRetained();
        }

        return stamped;
    }

    private ChatStreamingException Refused(in ChatStreamingEvent streamingEvent, ChatStreamingException ex)
    {
        _telemetry.PublishRefused(streamingEvent, ex.Error);
        return ex;
    }

    private ChatStreamingEvent PublishLocked(Conversation conversation, ChatStreamingEvent streamingEvent, ChatResponseOutcome? outcome)
    {
        ResponseLog? active = conversation.Active;
        string id = conversation.Id;
        switch (streamingEvent.Kind)
        {
            case ChatStreamingEventKind.Started:
                if (active is not null)
                {
                    throw new ChatStreamingException(
                        ChatStreamingError.ResponseAlreadyStarted,
                        id,
                        $"Conversation '{id}' already has an active response (started at sequence {active.FirstSequence}); publish Finished or Failed before starting another.");
                }

                if (!TryReserveActiveResponse())
                {
                    throw new ChatStreamingException(
                        ChatStreamingError.TooManyActiveResponses,
                        id,
                        $"Cannot start a response in conversation '{id}': {_maxActiveResponses} responses are already active (MaxActiveResponses).");
                }

                if (_journal is not null)
                {
                    try
                    {
                        ContinueAtLocked(conversation, _journal.BeginResponse(id));
                    }
                    catch
                    {
                        Interlocked.Decrement(ref _activeResponses);
                        throw;
                    }
                }

                break;

            case ChatStreamingEventKind.Delta:
                if (active is null)
                {
                    throw NotStarted(id, streamingEvent.Kind, conversation.LastStamped);
                }

                if (active.IsReplica)
                {
                    throw OwnedElsewhere(id, streamingEvent.Kind, active);
                }

                if (active.EventCount >= _maxEventsPerResponse - 1)
                {
                    throw new ChatStreamingException(
                        ChatStreamingError.ResponseTooLong,
                        id,
                        $"The response in conversation '{id}' already has {active.EventCount} events; with its terminal event it may have at most {_maxEventsPerResponse} (MaxEventsPerResponse). Publish Finished or Failed.");
                }

                if (streamingEvent.Text!.Length > _maxResponseLength - active.CharacterCount)
                {
                    throw new ChatStreamingException(
                        ChatStreamingError.ResponseTooLong,
                        id,
                        $"A delta of {streamingEvent.Text.Length} characters would make the response in conversation '{id}' longer than {_maxResponseLength} characters (MaxResponseLength); it has {active.CharacterCount}.");
                }

                break;

            default:
                if (active is null)
                {
                    throw NotStarted(id, streamingEvent.Kind, conversation.LastStamped);
                }

                // The store itself ends a mirrored response only when it is disposed (outcome given).
                if (active.IsReplica && outcome is null)
                {
                    throw OwnedElsewhere(id, streamingEvent.Kind, active);
                }

                break;
        }

        // From here nothing throws for a rule: the event is stamped, retained and delivered, or (out of memory) nothing is
        // reported as published. Telemetry comes last and cannot throw (ChatStreamingTelemetry catches its listeners).
        long now = _clock.Now(out long utcTicks);
        ChatStreamingEvent stamped = streamingEvent.StampAt(conversation.Origin, conversation.Sequencer.NextSequenceSerialized(), utcTicks);

        if (active is null)
        {
            active = StartResponseLocked(conversation, stamped, now);
            FanOutLocked(conversation, stamped, toObservers: true);
            _telemetry.ResponseStarted(active, conversation.Id);
            _journal?.Append(stamped);
            return stamped;
        }

        active.Idle?.Touch(now);
        active.Append(stamped, now, outcome);
        bool own = !active.IsReplica;
        if (stamped.IsTerminal)
        {
            EndLocked(conversation, active);
            FanOutLocked(conversation, stamped, toObservers: own);
            if (own)
            {
                _telemetry.ResponseEnded(active, conversation.Id, stamped);
            }

            RetainLocked(conversation, active);
        }
        else
        {
            FanOutLocked(conversation, stamped, toObservers: true);
            _telemetry.DeltaPublished(active, stamped);
        }

        if (own)
        {
            _journal?.Append(stamped);
        }

        return stamped;
    }

    private static ChatStreamingException OwnedElsewhere(string conversationId, ChatStreamingEventKind kind, ResponseLog response)
        => new(
            ChatStreamingError.ResponseOwnedElsewhere,
            conversationId,
            $"Cannot publish {kind} to conversation '{conversationId}': its active response (started at sequence {response.FirstSequence}) belongs to another instance, which publishes the rest of it.");

    /// <summary>Continues a conversation where its journal says its next response goes.</summary>
    private void ContinueAtLocked(Conversation conversation, ChatStreamPosition position)
    {
        if (position.Epoch is null || position.Sequence < 1)
        {
            throw new InvalidOperationException($"The journal placed a response of conversation '{conversation.Id}' at '{position}'; a position needs an epoch and a sequence of at least 1.");
        }

        long last = conversation.LastStamped;
        if (!string.Equals(position.Epoch, conversation.Origin.Epoch, StringComparison.Ordinal))
        {
            ReleaseAllRetainedLocked(conversation, "the conversation's stream has a new epoch");
            conversation.Origin = new ChatStreamOrigin(conversation.Id, position.Epoch);
        }
        else if (position.Sequence <= last)
        {
            throw new InvalidOperationException(
                $"The journal placed a new response of conversation '{conversation.Id}' at sequence {position.Sequence} of epoch '{position.Epoch}', but this store already stamped sequence {last} of it.");
        }
        else if (position.Sequence > last + 1)
        {
            // Responses this store did not see came between: what it retains would no longer be contiguous with the stream.
            ReleaseAllRetainedLocked(conversation, "the conversation continued elsewhere");
        }

        conversation.Sequencer.ContinueAfter(position.Sequence - 1);
    }

    private void ReleaseAllRetainedLocked(Conversation conversation, string reason)
    {
        if (conversation.EndedCount == 0)
        {
            return;
        }

        foreach (ResponseLog response in conversation.Ended.ToArray())
        {
            ReleaseRetainedLocked(response, reason);
        }
    }

    /// <summary>
    /// Applies an event that another store instance published, read from the journal they share: the event is retained and
    /// delivered to this store's subscribers (not to <see cref="Events"/>, which carries the events published here), so
    /// subscribers of this store follow responses produced anywhere. Its response is mirrored: publishing to it here is
    /// refused with <see cref="ChatStreamingError.ResponseOwnedElsewhere"/>; it does not count toward
    /// <see cref="ChatStreamingOptions.MaxActiveResponses"/> and has no idle timeout (its producer's instance has one).
    /// </summary>
    /// <remarks>
    /// Events of a conversation are applied in sequence order. A mirrored response that ended is retained for what is left of
    /// <see cref="ChatStreamingOptions.RetentionPeriod"/> counted from its terminal event's timestamp, as on the instance that
    /// produced it. A Started in another epoch starts the conversation's stream
    /// anew (an active response of the old stream ends with Failed, what was retained of it is released); a Started after a
    /// gap continues there. A terminal event may also end this store's own response (another instance ended it because this
    /// one's lease lapsed). Thread-safe.
    /// </remarks>
    /// <param name="published">The event as the other store published it (from <see cref="ChatStreamingEvent.FromPublished"/>).</param>
    /// <returns>Whether the event was applied, was already there, or needs earlier events first.</returns>
    /// <exception cref="ArgumentException"><paramref name="published"/> has no epoch or sequence (it was never published).</exception>
    /// <exception cref="ObjectDisposedException">The store is disposed.</exception>
    public ChatReplicationResult Replicate(ChatStreamingEvent published)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        if (published.Epoch is null || published.Sequence < 1)
        {
            throw new ArgumentException("Only a published event (with an epoch and a sequence, e.g. from ChatStreamingEvent.FromPublished) can be replicated; publish a new event with Publish.", nameof(published));
        }

        string conversationId = published.ConversationId;
        ChatReplicationResult result;

        // A journal may replicate while its store holds the conversation's lock (re-entrant): then the store-wide trimming,
        // which takes other conversations' locks, waits for a publish that does not hold one.
        bool nested = false;
        while (true)
        {
            Conversation? conversation;
            if (published.Kind == ChatStreamingEventKind.Started)
            {
                conversation = GetOrAddConversation(conversationId);
            }
            else if (!_conversations.TryGetValue(conversationId, out conversation))
            {
                ObjectDisposedException.ThrowIf(_disposed, this);
                return ChatReplicationResult.Missing;
            }

            nested = Monitor.IsEntered(conversation.Gate);
            lock (conversation.Gate)
            {
                ObjectDisposedException.ThrowIf(_disposed, this);
                if (conversation.Removed)
                {
                    continue;
                }

                try
                {
                    result = ReplicateLocked(conversation, published);
                    break;
                }
                finally
                {
                    RemoveIfUnusedLocked(conversation);
                }
            }
        }

        if (nested)
        {
            return result;
        }

        ReportDrops();
        if (result == ChatReplicationResult.Applied && published.IsTerminal)
        {
            TrimRetained();
        }

        return result;
    }

    private ChatReplicationResult ReplicateLocked(Conversation conversation, in ChatStreamingEvent published)
    {
        long last = conversation.LastStamped;
        long sequence = published.Sequence;
        bool sameEpoch = string.Equals(published.Epoch, conversation.Origin.Epoch, StringComparison.Ordinal);
        if (sameEpoch && sequence <= last)
        {
            return ChatReplicationResult.AlreadyApplied;
        }

        ResponseLog? active = conversation.Active;
        if (published.Kind != ChatStreamingEventKind.Started)
        {
            // A later event follows its predecessor in the response this store mirrors; only a terminal event may end this
            // store's own response (another instance ended it when this one's lease lapsed).
            if (!sameEpoch || sequence != last + 1 || active is null || (!active.IsReplica && !published.IsTerminal))
            {
                return ChatReplicationResult.Missing;
            }
        }
        else if (!sameEpoch || sequence > last + 1)
        {
            if (active is not null)
            {
                if (sameEpoch)
                {
                    // The end of the response in progress is missing.
                    return ChatReplicationResult.Missing;
                }

                PublishLocked(conversation, ChatStreamingEvent.Failed(conversation.Id, ChatStreamingConstants.StreamReplacedError), ChatResponseOutcome.Failed);
            }

            ReleaseAllRetainedLocked(conversation, sameEpoch ? "the conversation continued elsewhere" : "the conversation's stream has a new epoch");
            if (!sameEpoch)
            {
                conversation.Origin = new ChatStreamOrigin(conversation.Id, published.Epoch!);
            }
        }
        else if (active is not null)
        {
            return ChatReplicationResult.Missing;
        }

        conversation.Sequencer.ContinueAfter(sequence);
        ChatStreamingEvent stamped = published.StampAt(conversation.Origin, sequence, published.UtcTicks);
        long now = _timeProvider.GetTimestamp();
        if (stamped.Kind == ChatStreamingEventKind.Started)
        {
            conversation.Active = new ResponseLog(conversation, stamped, now, _timeProvider) { IsReplica = true };
            foreach (Subscription subscription in conversation.Subscribers)
            {
                StopWaitingLocked(subscription);
            }

            FanOutLocked(conversation, stamped, toObservers: false);
            return ChatReplicationResult.Applied;
        }

        active!.Append(stamped, now, outcome: null);
        if (stamped.IsTerminal)
        {
            EndLocked(conversation, active);
            FanOutLocked(conversation, stamped, toObservers: !active.IsReplica);
            if (!active.IsReplica)
            {
                _telemetry.ResponseEnded(active, conversation.Id, stamped);
            }

            // Retained as long as on the instance that produced it: from its end as stamped there, not from its arrival here.
            TimeSpan left = _retentionPeriod - (_timeProvider.GetUtcNow() - stamped.Timestamp);
            RetainLocked(conversation, active, left < _retentionPeriod ? left : _retentionPeriod);
        }
        else
        {
            FanOutLocked(conversation, stamped, toObservers: false);
        }

        return ChatReplicationResult.Applied;
    }

    // Separate from PublishLocked so that the idle callback's closure is allocated per response, not per event.
    private ResponseLog StartResponseLocked(Conversation conversation, in ChatStreamingEvent started, long now)
    {
        var response = new ResponseLog(conversation, started, now, _timeProvider);
        response.Idle = new IdleMonitor(_timeProvider, _idleTimeout, () => OnIdle(conversation, response));
        conversation.Active = response;

        // Whoever waited for this response now receives it: no longer a waiter.
        foreach (Subscription subscription in conversation.Subscribers)
        {
            StopWaitingLocked(subscription);
        }

        return response;
    }

    private static ChatStreamingException NotStarted(string conversationId, ChatStreamingEventKind kind, long lastSequence)
        => new(
            ChatStreamingError.ResponseNotStarted,
            conversationId,
            lastSequence == 0
                ? $"Cannot publish {kind} to conversation '{conversationId}': it has no active response. Publish Started first."
                : $"Cannot publish {kind} to conversation '{conversationId}': it has no active response (its last event, sequence {lastSequence}, ended one). Publish Started first.");

    private void EndLocked(Conversation conversation, ResponseLog response)
    {
        conversation.Active = null;
        if (!response.IsReplica)
        {
            Interlocked.Decrement(ref _activeResponses);
        }
    }

    /// <summary>Keeps an ended response for replay, within the retention period and the size limits.</summary>
    private void RetainLocked(Conversation conversation, ResponseLog response, TimeSpan? retention = null)
    {
        TimeSpan period = retention ?? _retentionPeriod;
        if (period <= TimeSpan.Zero || _disposed)
        {
            response.Release();
            return;
        }

        conversation.Ended.Add(response);
        response.AccountedBytes = response.RetainedBytes;
        lock (_retainedGate)
        {
            response.RetainedNode = _retainedOrder.AddLast(response);
            Interlocked.Add(ref _retainedBytes, response.AccountedBytes);
        }

        response.RetentionTimer = _timeProvider.CreateTimer(
            static state => ((DefaultChatStreamingStore.RetentionState)state!).Fire(), new RetentionState(this, response), period, Timeout.InfiniteTimeSpan);

        if (conversation.EndedCount > _maxRetainedPerConversation)
        {
            ReleaseRetainedLocked(conversation.Ended[0], "MaxRetainedResponsesPerConversation");
        }
    }

    /// <summary>Releases an ended response that is still retained: out of the conversation, the store-wide order and the byte total.</summary>
    private void ReleaseRetainedLocked(ResponseLog response, string reason)
    {
        Conversation conversation = response.Conversation;
        lock (_retainedGate)
        {
            // Out of the store-wide order in any case, so that TrimRetained can never meet it again.
            if (response.RetainedNode is { } node)
            {
                _retainedOrder.Remove(node);
                response.RetainedNode = null;
                Interlocked.Add(ref _retainedBytes, -response.AccountedBytes);
            }
        }

        if (!conversation.Ended.Remove(response))
        {
            return;
        }

        response.RetentionTimer?.Dispose();
        response.RetentionTimer = null;
        long first = response.FirstSequence;
        response.Release();
        _telemetry.ResponseReleased(conversation.Id, first, reason);
    }

    /// <summary>Releases the responses that ended first, across conversations, while the retained bytes exceed the limit.</summary>
    private void TrimRetained()
    {
        while (Interlocked.Read(ref _retainedBytes) > _maxRetainedBytes)
        {
            ResponseLog? oldest;
            lock (_retainedGate)
            {
                oldest = _retainedOrder.First?.Value;
            }

            if (oldest is null)
            {
                return;
            }

            // The conversation's lock is taken without holding _retainedGate (its order is conversation, then retained).
            Conversation conversation = oldest.Conversation;
            lock (conversation.Gate)
            {
                ReleaseRetainedLocked(oldest, "MaxRetainedBytes");
                RemoveIfUnusedLocked(conversation);
            }
        }
    }

    /// <summary>The state of a retention timer (a class, so the timer's callback needs no closure).</summary>
    private sealed class RetentionState(DefaultChatStreamingStore store, ResponseLog response)
    {
        public void Fire() => store.OnRetentionEnded(response);
    }

    private void FanOutLocked(Conversation conversation, in ChatStreamingEvent stamped, bool toObservers)
    {
        Subscription[] subscribers = conversation.Subscribers;
        foreach (Subscription subscription in subscribers)
        {
            if (subscription.Deliver(stamped))
            {
                RemoveSubscriberLocked(conversation, subscription);
            }
        }

        if (!toObservers)
        {
            return;
        }

        foreach (EventsObserver observer in Volatile.Read(ref _observers))
        {
            if (observer.Deliver(stamped))
            {
                RemoveObserver(observer);
            }
        }
    }

    private bool TryReserveActiveResponse()
    {
        int current = Volatile.Read(ref _activeResponses);
        while (current < _maxActiveResponses)
        {
            int seen = Interlocked.CompareExchange(ref _activeResponses, current + 1, current);
            if (seen == current)
            {
                return true;
            }

            current = seen;
        }

        return false;
    }

    /// <inheritdoc />
    [System.Diagnostics.CodeAnalysis.SuppressMessage("ApiDesign", "RS0026:Do not add multiple public overloads with optional parameters", Justification = "The contract's two resume points, sequence and position; neither call is ambiguous.")]
    public IAsyncEnumerable<ChatStreamingEvent> SubscribeAsync(string conversationId, long afterSequence = 0, CancellationToken cancellationToken = default)
    {
        Guard.ConversationId(conversationId);
        Guard.NotNegative(afterSequence);
        ObjectDisposedException.ThrowIf(_disposed, this);
        return new SubscriptionEnumerator(this, conversationId, epoch: null, afterSequence, cancellationToken);
    }

    /// <inheritdoc />
    [System.Diagnostics.CodeAnalysis.SuppressMessage("ApiDesign", "RS0026:Do not add multiple public overloads with optional parameters", Justification = "The contract's two resume points, sequence and position; neither call is ambiguous.")]
    public IAsyncEnumerable<ChatStreamingEvent> SubscribeAsync(string conversationId, ChatStreamPosition after, CancellationToken cancellationToken = default)
    {
        Guard.ConversationId(conversationId);
        Guard.Position(after);
        ObjectDisposedException.ThrowIf(_disposed, this);
        return new SubscriptionEnumerator(this, conversationId, after.Epoch, after.Sequence, cancellationToken);
    }

    /// <summary>
    /// Takes the replay snapshot and registers the live queue under the conversation's lock, so that every event
    /// after the resume point is in exactly one of them.
    /// </summary>
    /// <param name="subscription">The subscription; registered (attached to the conversation) when it has live events to wait for.</param>
    /// <param name="conversationId">The conversation.</param>
    /// <param name="epoch">The epoch of a <see cref="ChatStreamPosition"/>; null for the sequence-only overload.</param>
    /// <param name="afterSequence">The last sequence the caller has; with no epoch, 0 is the conversation's current response.</param>
    /// <returns>The events to replay, and whether the subscription was registered for live events.</returns>
    internal (ChatStreamingEvent[] Replay, bool Live) OpenSubscription(Subscription subscription, string conversationId, string? epoch, long afterSequence)
    {
        // "Current response" is the only request a conversation that does not exist yet can satisfy (by waiting).
        bool current = epoch is null && afterSequence == 0;
        while (true)
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            Conversation? conversation;
            if (current)
            {
                conversation = GetOrAddConversation(conversationId);
            }
            else if (!_conversations.TryGetValue(conversationId, out conversation))
            {
                ObjectDisposedException.ThrowIf(_disposed, this);
                throw NotRetained(conversationId, epoch, afterSequence, "the conversation is not retained");
            }

            lock (conversation.Gate)
            {
                ObjectDisposedException.ThrowIf(_disposed, this);
                if (conversation.Removed)
                {
                    if (current)
                    {
                        continue;
                    }

                    throw NotRetained(conversationId, epoch, afterSequence, "the conversation is not retained");
                }

                try
                {
                    return OpenSubscriptionLocked(subscription, conversation, epoch, afterSequence, current);
                }
                finally
                {
                    RemoveIfUnusedLocked(conversation);
                }
            }
        }
    }

    private (ChatStreamingEvent[] Replay, bool Live) OpenSubscriptionLocked(Subscription subscription, Conversation conversation, string? epoch, long afterSequence, bool current)
    {
        if (current)
        {
            // The current response, else the next one.
            ResponseLog? response = conversation.Current;
            if (response is null)
            {
                RegisterLocked(subscription, conversation);
                return ([], true);
            }

            return OpenLocked(subscription, conversation, response, afterSequence: 0);
        }

        if (epoch is not null && !string.Equals(epoch, conversation.Origin.Epoch, StringComparison.Ordinal))
        {
            throw NotRetained(conversation.Id, epoch, afterSequence, $"the position is from another epoch: the conversation's state was created again and is now epoch '{conversation.Origin.Epoch}'");
        }

        long last = conversation.LastStamped;
        if (afterSequence > last)
        {
            if (epoch is not null)
            {
                throw NotRetained(conversation.Id, epoch, afterSequence, $"the position is ahead of the stream, whose last sequence is {last}");
            }

            throw new ArgumentOutOfRangeException(
                nameof(afterSequence),
                afterSequence,
                $"Cannot resume conversation '{conversation.Id}' after sequence {afterSequence}: its last published sequence is {last}.");
        }

        if (afterSequence == last)
        {
            // Up to date: the rest of the active response, or the next response to start.
            RegisterLocked(subscription, conversation);
            return ([], true);
        }

        ResponseLog? retained = conversation.FindResponse(afterSequence + 1);
        if (retained is null)
        {
            throw NotRetained(conversation.Id, epoch, afterSequence, $"the oldest retained sequence is {conversation.OldestRetainedSequence}");
        }

        return OpenLocked(subscription, conversation, retained, afterSequence);
    }

    // A response's events after the resume point, and the live queue for the rest of it while it streams.
    private (ChatStreamingEvent[] Replay, bool Live) OpenLocked(Subscription subscription, Conversation conversation, ResponseLog response, long afterSequence)
    {
        ChatStreamingEvent[] replay = response.CopyAfter(afterSequence);
        bool live = response.Outcome == ChatResponseOutcome.Streaming;
        if (live)
        {
            RegisterLocked(subscription, conversation);
        }

        return (replay, live);
    }

    private void RegisterLocked(Subscription subscription, Conversation conversation)
    {
        if (conversation.Subscribers.Length >= _maxSubscribers)
        {
            throw new ChatStreamingException(
                ChatStreamingError.TooManySubscribers,
                conversation.Id,
                $"Conversation '{conversation.Id}' already has {_maxSubscribers} live subscribers (MaxSubscribersPerConversation).");
        }

        // With no active response the subscription waits for the next one. On a conversation that holds nothing else
        // (no active or retained response) that is what anyone can open in bulk with made-up ids, so those are limited
        // store-wide. A client that is up to date with a retained conversation waits too, but its conversation is already
        // bounded (by the retention limits) and so are its subscribers (MaxSubscribersPerConversation).
        bool waiting = conversation.Active is null;
        bool limited = waiting && conversation.EndedCount == 0;
        if (limited && Interlocked.Increment(ref _waitingSubscribers) > _maxWaitingSubscribers)
        {
            Interlocked.Decrement(ref _waitingSubscribers);
            throw new ChatStreamingException(
                ChatStreamingError.TooManySubscribers,
                conversation.Id,
                $"Cannot wait for a response in conversation '{conversation.Id}': {_maxWaitingSubscribers} subscriptions already wait on conversations that have no response yet (MaxWaitingSubscribers).");
        }

        subscription.Attach(conversation, _queueSettings);
        subscription.IsWaiting = waiting;
        subscription.CountsAsWaiting = limited;
        if (waiting)
        {
            _waiting?.Add(subscription);
        }

        conversation.Subscribers = [.. conversation.Subscribers, subscription];
        Interlocked.Increment(ref _subscribers);
    }

    private void StopWaitingLocked(Subscription subscription)
    {
        if (!subscription.IsWaiting)
        {
            return;
        }

        subscription.IsWaiting = false;
        _waiting?.Remove(subscription);
        if (subscription.CountsAsWaiting)
        {
            subscription.CountsAsWaiting = false;
            Interlocked.Decrement(ref _waitingSubscribers);
        }
    }

    private void RemoveSubscriberLocked(Conversation conversation, Subscription subscription)
    {
        if (Array.IndexOf(conversation.Subscribers, subscription) >= 0)
        {
            conversation.Subscribers = Array.FindAll(conversation.Subscribers, s => s != subscription);
            Interlocked.Decrement(ref _subscribers);
            StopWaitingLocked(subscription);
        }
    }

    /// <summary>Ends a subscription that waited too long for a response: it was probably abandoned, and it holds memory.</summary>
    private void OnWaitExpired(Subscription subscription)
    {
        Conversation conversation = subscription.Conversation;
        lock (conversation.Gate)
        {
            if (!subscription.IsWaiting)
            {
                return;
            }

            RemoveSubscriberLocked(conversation, subscription);
            RemoveIfUnusedLocked(conversation);
        }

        subscription.Buffer.Writer.TryComplete(new ChatStreamingException(
            ChatStreamingError.WaitTimedOut,
            conversation.Id,
            $"No response started in conversation '{conversation.Id}' within {_waitingTimeout} (WaitingSubscriberTimeout); nothing was missed. Subscribe again to keep waiting."));
        _telemetry.SubscriberCutOff(conversation.Id, "WaitingSubscriberTimeout");
    }

    private static ChatStreamingException NotRetained(string conversationId, string? epoch, long afterSequence, string why)
        => new(
            ChatStreamingError.SequenceNotRetained,
            conversationId,
            epoch is null
                ? $"Cannot resume conversation '{conversationId}' after sequence {afterSequence}: the events after it are no longer retained ({why}). Subscribe with afterSequence 0 for the current response."
                : $"Cannot resume conversation '{conversationId}' after position {new ChatStreamPosition(epoch, afterSequence)}: the events after it are not retained ({why}). Subscribe with afterSequence 0 for the current response.");

    /// <summary>Ends a live subscription: out of its conversation (and the waiting list), its queue completed.</summary>
    internal void Detach(Subscription subscription)
    {
        Conversation conversation = subscription.Conversation;
        lock (conversation.Gate)
        {
            RemoveSubscriberLocked(conversation, subscription);
            RemoveIfUnusedLocked(conversation);
        }

        subscription.Buffer.Writer.TryComplete();
    }

    /// <summary>Gets the statistics of a conversation's current response: the active one, else the most recent retained one.</summary>
    /// <param name="conversationId">The conversation.</param>
    /// <returns>A snapshot, or <see langword="null"/> when the conversation has no active or retained response.</returns>
    /// <exception cref="ArgumentException"><paramref name="conversationId"/> is invalid.</exception>
    public ChatResponseStatistics? GetStatistics(string conversationId)
    {
        Guard.ConversationId(conversationId);
        if (FindConversation(conversationId) is not { } conversation)
        {
            return null;
        }

        lock (conversation.Gate)
        {
            return conversation.Current?.Snapshot(conversation.Id);
        }
    }

    /// <summary>
    /// Gets the position of the last event this store has of a conversation (published here or replicated), or null when it
    /// holds no state of it: where a store sharing the conversation with other instances continues reading.
    /// </summary>
    /// <param name="conversationId">The conversation.</param>
    /// <returns>The conversation's epoch and last sequence here; null when the store holds nothing of it or has no event yet.</returns>
    /// <exception cref="ArgumentException"><paramref name="conversationId"/> is invalid.</exception>
    public ChatStreamPosition? GetLastPosition(string conversationId)
    {
        Guard.ConversationId(conversationId);
        if (FindConversation(conversationId) is not { } conversation)
        {
            return null;
        }

        lock (conversation.Gate)
        {
            long last = conversation.LastStamped;
            return last > 0 && !conversation.Removed ? new ChatStreamPosition(conversation.Origin.Epoch, last) : null;
        }
    }

    /// <summary>Gets the statistics of every response of a conversation that is active or retained, oldest first.</summary>
    /// <param name="conversationId">The conversation.</param>
    /// <returns>The snapshots; empty when the conversation has no active or retained response.</returns>
    /// <exception cref="ArgumentException"><paramref name="conversationId"/> is invalid.</exception>
    public IReadOnlyList<ChatResponseStatistics> GetResponseStatistics(string conversationId)
    {
        Guard.ConversationId(conversationId);
        if (FindConversation(conversationId) is not { } conversation)
        {
            return [];
        }

        lock (conversation.Gate)
        {
            List<ChatResponseStatistics> all = conversation.Ended.ConvertAll(r => r.Snapshot(conversation.Id));
            if (conversation.Active is { } active)
            {
                all.Add(active.Snapshot(conversation.Id));
            }

            return all;
        }
    }

    /// <summary>The conversation's state, if the store holds any (tests inspect it to prove it is released).</summary>
    internal Conversation? FindConversation(string conversationId)
        => _conversations.TryGetValue(conversationId, out Conversation? conversation) ? conversation : null;

    private Conversation GetOrAddConversation(string conversationId)
        => _conversations.GetOrAdd(conversationId, static (id, tp) => new Conversation(id, tp), _timeProvider);

    private void RemoveIfUnusedLocked(Conversation conversation)
    {
        if (conversation.Removed || !conversation.IsUnused)
        {
            return;
        }

        conversation.Removed = true;
        _conversations.TryRemove(new KeyValuePair<string, Conversation>(conversation.Id, conversation));
        conversation.DisposeSequencer();
    }

    private void OnIdle(Conversation conversation, ResponseLog response)
    {
        lock (conversation.Gate)
        {
            // A delta may have been accepted between the timer's check and this lock: check again under it.
            if (conversation.Removed || conversation.Active != response || response.Idle?.ConfirmIdle() != true)
            {
                return;
            }

            _telemetry.ResponseIdle(conversation.Id, _idleTimeout);
            PublishLocked(conversation, ChatStreamingEvent.Failed(conversation.Id, ChatStreamingConstants.IdleTimeoutError), ChatResponseOutcome.IdleTimeout);
        }

        ReportDrops();
        TrimRetained();
    }

    private void OnRetentionEnded(ResponseLog response)
    {
        Conversation conversation = response.Conversation;
        lock (conversation.Gate)
        {
            ReleaseRetainedLocked(response, "RetentionPeriod");
            RemoveIfUnusedLocked(conversation);
        }
    }

    // Runs inside a queue's write, under the conversation's lock: only count and remember; ReportDrops tells telemetry later.
    private void OnEventDropped(ChatStreamingEvent streamingEvent)
    {
        Interlocked.Increment(ref _droppedEvents);
        (t_droppedEvents ??= []).Add(streamingEvent);
    }

    private void ReportDrops()
    {
        // Only the drop strategies drop; the others never fill the list, and a thread-static read per publish is not free.
        if (_subscriberOverflow is not (OverflowStrategy.DropOldest or OverflowStrategy.DropNewest))
        {
            return;
        }

        List<ChatStreamingEvent>? dropped = t_droppedEvents;
        if (dropped is null || dropped.Count == 0)
        {
            return;
        }

        foreach (ChatStreamingEvent streamingEvent in dropped)
        {
            _telemetry.EventDropped(streamingEvent, _subscriberOverflow);
        }

        dropped.Clear();
    }

    internal void OnObserverFailed(EventsObserver observer, Exception exception)
    {
        RemoveObserver(observer);
        _telemetry.ObserverFailed(exception);
    }

    internal void RemoveObserver(EventsObserver observer)
    {
        lock (_observersGate)
        {
            if (Array.IndexOf(_observers, observer) < 0)
            {
                return;
            }

            _observers = Array.FindAll(_observers, o => o != observer);
        }

        Interlocked.Decrement(ref _subscribers);
    }

    /// <summary>
    /// Ends the store. Each active response ends with a Failed event ("store disposed") that its subscribers and the
    /// <see cref="Events"/> observers receive (its trace activity stops with an error); then subscriptions still open and
    /// <see cref="Events"/> observers end with <see cref="ObjectDisposedException"/> after what they have queued, retained
    /// responses are released, timers stop, levels read zero, and later calls throw <see cref="ObjectDisposedException"/>.
    /// </summary>
    public void Dispose()
    {
        if (_disposed)
        {
            return;
        }

        _disposed = true;
        try
        {
            foreach (Conversation conversation in _conversations.Values)
            {
                lock (conversation.Gate)
                {
                    DisposeLocked(conversation);
                }
            }
        }
        finally
        {
            ReportDrops();
        }

        _conversations.Clear();
        _waiting?.Dispose();

        EventsObserver[] observers;
        lock (_observersGate)
        {
            observers = _observers;
        }

        foreach (EventsObserver observer in observers)
        {
            RemoveObserver(observer);
            observer.Buffer.Writer.TryComplete(new ObjectDisposedException(nameof(DefaultChatStreamingStore)));
        }

        _telemetry.Detach(this);
    }

    private void DisposeLocked(Conversation conversation)
    {
        if (conversation.Active is not null)
        {
            PublishLocked(conversation, ChatStreamingEvent.Failed(conversation.Id, ChatStreamingConstants.DisposedError), ChatResponseOutcome.Failed);
        }

        conversation.Removed = true;
        ReleaseAllRetainedLocked(conversation, "the store was disposed");

        foreach (Subscription subscription in conversation.Subscribers)
        {
            subscription.Buffer.Writer.TryComplete(new ObjectDisposedException(nameof(DefaultChatStreamingStore)));
            RemoveSubscriberLocked(conversation, subscription);
        }

        conversation.DisposeSequencer();
    }
}
