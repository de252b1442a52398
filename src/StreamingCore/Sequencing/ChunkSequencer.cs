using System.Diagnostics;
using System.Threading.Channels;

namespace StreamingCore;

/// <summary>
/// Puts a stream's chunks in order. On the write side <see cref="Stamp"/> numbers chunks 1, 2, 3…; on the
/// read side <see cref="Offer"/> accepts chunks in any order within a reorder window, drops duplicates,
/// reports gaps and releases chunks in order to <see cref="Reader"/>.
/// </summary>
/// <typeparam name="T">The payload type.</typeparam>
/// <remarks>
/// <para>
/// The rules follow TCP's receive window, RTP's MAX_MISORDER/MAX_DROPOUT and Kafka's lastSeq + 1 rule: a chunk
/// below the next expected sequence is a duplicate; one within <see cref="ChunkSequencerOptions.ReorderWindow"/>
/// waits for those before it; one beyond the window makes the sequencer give up on the missing ones (a gap);
/// one <see cref="ChunkSequencerOptions.MaxAhead"/> or more ahead is refused. A missing chunk is also given up
/// when <see cref="ChunkSequencerOptions.GapTimeout"/> passes on the injected <see cref="TimeProvider"/>.
/// </para>
/// <para>
/// Thread-safe. The final chunk, once released, completes <see cref="Reader"/>. Once a final chunk is known, even
/// one still waiting for those before it, a chunk past it is <see cref="ChunkOfferResult.Rejected"/> and no gap
/// past it is ever reported.
/// </para>
/// </remarks>
[DebuggerDisplay("NextExpected = {NextExpected}, Pending = {PendingCount}")]
public sealed class ChunkSequencer<T> : IDisposable
{
    // The clock for stamps and the gap timeout.
    private readonly TimeProvider _timeProvider;

    // Options copied at construction.
    private readonly int _window;
    private readonly int _maxAhead;
    private readonly TimeSpan _gapTimeout;
    private readonly Action<SequenceGap>? _gapDetected;

    // Write side: the last sequence handed out by Stamp.
    private long _lastStamped;

    // Guards the read side below.
    // Created on first use, because a sequencer that only stamps (one per conversation in the chat store, idle ones included)
    // never takes it.
    private object? _gateObject;

    // Chunks that arrived ahead of _nextExpected, by sequence. The read side is created on first use, because a
    // sequencer that only stamps (one per conversation in the chat store) never needs it.
    private SortedDictionary<long, StreamChunk<T>>? _pendingChunks;

    // In-order output; unbounded because the reorder window already bounds what is pending. Created on first use.
    private Channel<StreamChunk<T>>? _releasedChunks;

    // The sequence the reader needs next.
    private long _nextExpected = 1;

    // True once the final chunk was released.
    private bool _ended;

    // The sequence of the earliest final chunk seen, released or pending; nothing past it is accepted. MaxValue before.
    private long _finalSequence = long.MaxValue;

    // Counters.
    private long _duplicateCount;
    private long _gapCount;

    // Fires GapTimeout after the head-of-line gap began; created on first need.
    private ITimer? _gapTimer;

    // When the current head-of-line gap began blocking (TimeProvider timestamp); later chunks do not move it.
    private long _blockedSince;

    /// <summary>Initializes a new sequencer.</summary>
    /// <param name="options">The window, limits and gap callback; default values when null.</param>
    /// <param name="timeProvider">The clock; <see cref="TimeProvider.System"/> when null.</param>
    /// <exception cref="ArgumentOutOfRangeException">ReorderWindow is not positive, MaxAhead is below it, or GapTimeout is not positive and finite nor infinite.</exception>
    public ChunkSequencer(ChunkSequencerOptions? options = null, TimeProvider? timeProvider = null)
    {
        options ??= new ChunkSequencerOptions();
        Guard.Positive(options.ReorderWindow, "options.ReorderWindow");
        if (options.MaxAhead < options.ReorderWindow)
        {
            throw new ArgumentOutOfRangeException(nameof(options), options.MaxAhead, "MaxAhead must be at least ReorderWindow.");
        }

        if (!Guard.IsValidTimeout(options.GapTimeout))
        {
            throw new ArgumentOutOfRangeException(nameof(options), options.GapTimeout, "GapTimeout must be positive (at most 49 days) or Timeout.InfiniteTimeSpan.");
        }

        _timeProvider = timeProvider ?? TimeProvider.System;
        _window = options.ReorderWindow;
        _maxAhead = options.MaxAhead;
        _gapTimeout = options.GapTimeout;
        _gapDetected = options.GapDetected;
    }

    /// <summary>Gets the chunks released in order; completed after the final chunk.</summary>
    public ChannelReader<StreamChunk<T>> Reader
    {
        get
        {
            lock (Gate)
            {
                return ReleasedLocked.Reader;
            }
        }
    }

    // The read side's lock (see _gateObject).
    private object Gate => Volatile.Read(ref _gateObject) ?? Interlocked.CompareExchange(ref _gateObject, new object(), null) ?? _gateObject;

    // The pending chunks, created on first use; only touched under Gate.
    private SortedDictionary<long, StreamChunk<T>> Pending => _pendingChunks ??= [];

    // The output channel, created on first use (completed at once if the stream already ended); under Gate.
    private Channel<StreamChunk<T>> ReleasedLocked
    {
        get
        {
            if (_releasedChunks is null)
            {
                _releasedChunks = Channel.CreateUnbounded<StreamChunk<T>>(new UnboundedChannelOptions { SingleWriter = true });
                if (_ended)
                {
                    _releasedChunks.Writer.TryComplete();
                }
            }

            return _releasedChunks;
        }
    }

    /// <summary>Gets the last sequence <see cref="Stamp"/> handed out (0 before the first).</summary>
    public long LastStamped => Interlocked.Read(ref _lastStamped);

    /// <summary>Gets the sequence the read side releases next.</summary>
    public long NextExpected
    {
        get
        {
            lock (Gate)
            {
                return _nextExpected;
            }
        }
    }

    /// <summary>Gets how many chunks wait for missing ones.</summary>
    public int PendingCount
    {
        get
        {
            lock (Gate)
            {
                return _pendingChunks?.Count ?? 0;
            }
        }
    }

    /// <summary>Gets how many duplicate chunks were dropped.</summary>
    public long DuplicateCount => Interlocked.Read(ref _duplicateCount);

    /// <summary>Gets how many gaps were reported.</summary>
    public long GapCount => Interlocked.Read(ref _gapCount);

    /// <summary>Numbers the next chunk of the stream (thread-safe, strictly increasing by 1 from 1).</summary>
    /// <param name="data">The payload.</param>
    /// <param name="isFinal">Whether this is the stream's last chunk.</param>
    /// <returns>The chunk with its sequence and the current time.</returns>
    public StreamChunk<T> Stamp(T data, bool isFinal = false)
        => new(Interlocked.Increment(ref _lastStamped), data, _timeProvider.GetUtcNow(), isFinal);

    /// <summary>
    /// Hands out the next sequence, as <see cref="Stamp"/> would, for a writer that reads the time itself and serialises every
    /// stamp of this sequencer under its own lock (the chat store: one conversation's lock, one clock read per event). No
    /// interlocked instruction: only that writer changes the count, and readers read it atomically.
    /// </summary>
    internal long NextSequenceSerialized()
    {
        long next = _lastStamped + 1;
        Volatile.Write(ref _lastStamped, next);
        return next;
    }

    /// <summary>Continues the numbering after <paramref name="sequence"/>: a stream that another writer numbered up to it.</summary>
    internal void ContinueAfter(long sequence) => Interlocked.Exchange(ref _lastStamped, sequence);

    /// <summary>Accepts a chunk from an unordered source.</summary>
    /// <param name="chunk">The chunk; its sequence must be positive.</param>
    /// <returns>What happened to it.</returns>
    /// <exception cref="ArgumentOutOfRangeException">The chunk's sequence is not positive.</exception>
    public ChunkOfferResult Offer(StreamChunk<T> chunk)
    {
        if (chunk.Sequence <= 0)
        {
            throw new ArgumentOutOfRangeException(nameof(chunk), chunk.Sequence, "A chunk's sequence must be positive.");
        }

        List<SequenceGap>? gaps = null;
        ChunkOfferResult result;
        lock (Gate)
        {
            result = OfferLocked(chunk, ref gaps);
        }

        Report(gaps);
        return result;
    }

    private ChunkOfferResult OfferLocked(StreamChunk<T> chunk, ref List<SequenceGap>? gaps)
    {
        long sequence = chunk.Sequence;
        long nextBefore = _nextExpected;
        bool blockedBefore = Pending.Count > 0;
        if (sequence < _nextExpected || Pending.ContainsKey(sequence))
        {
            _duplicateCount++;
            return ChunkOfferResult.Duplicate;
        }

        if (_ended || sequence > _finalSequence || sequence - _nextExpected >= _maxAhead)
        {
            return ChunkOfferResult.Rejected;
        }

        if (chunk.IsFinal)
        {
            // The end is known before it is released: what waits past it can never be released, and forcing the
            // window towards a chunk past it would report gaps after the end.
            _finalSequence = sequence;
            if (Pending.Count > 0)
            {
                foreach (long past in Pending.Keys.Where(k => k > sequence).ToList())
                {
                    Pending.Remove(past);
                }
            }
        }

        // Beyond the window: stop waiting for the oldest missing chunks until this one fits.
        while (sequence - _nextExpected >= _window)
        {
            if (!ReleasePendingHeadLocked())
            {
                long resumeAt = Math.Min(sequence - _window + 1, Pending.Count > 0 ? Pending.Keys.First() : long.MaxValue);
                SkipToLocked(resumeAt, timedOut: false, ref gaps);
            }
        }

        if (sequence != _nextExpected)
        {
            Pending.Add(sequence, chunk);
            ArmGapTimerLocked(newGap: !blockedBefore || _nextExpected != nextBefore);
            return ChunkOfferResult.Buffered;
        }

        ReleaseLocked(chunk);
        while (ReleasePendingHeadLocked())
        {
        }

        ArmGapTimerLocked(newGap: true);
        return ChunkOfferResult.Released;
    }

    private bool ReleasePendingHeadLocked()
    {
        if (!Pending.Remove(_nextExpected, out StreamChunk<T> next))
        {
            return false;
        }

        ReleaseLocked(next);
        return true;
    }

    private void ReleaseLocked(StreamChunk<T> chunk)
    {
        Channel<StreamChunk<T>> released = ReleasedLocked;
        released.Writer.TryWrite(chunk);
        _nextExpected = chunk.Sequence + 1;
        if (chunk.IsFinal)
        {
            _ended = true;
            Pending.Clear();
            released.Writer.TryComplete();
        }
    }

    private void SkipToLocked(long resumeAt, bool timedOut, ref List<SequenceGap>? gaps)
    {
        (gaps ??= []).Add(new SequenceGap(_nextExpected, resumeAt - 1, timedOut));
        _gapCount++;
        _nextExpected = resumeAt;
    }

    // newGap: the gap at _nextExpected began blocking just now (the next expected sequence moved, or the first chunk
    // started to wait). A chunk buffered behind a gap that already blocks must not restart the timeout, or a steady
    // stream of later chunks would postpone the report forever.
    private void ArmGapTimerLocked(bool newGap)
    {
        if (_gapTimeout == Timeout.InfiniteTimeSpan)
        {
            return;
        }

        if (Pending.Count == 0)
        {
            _gapTimer?.Change(Timeout.InfiniteTimeSpan, Timeout.InfiniteTimeSpan);
            return;
        }

        if (!newGap)
        {
            return;
        }

        _blockedSince = _timeProvider.GetTimestamp();
        _gapTimer ??= _timeProvider.CreateTimer(static s => ((ChunkSequencer<T>)s!).OnGapTimer(), this, Timeout.InfiniteTimeSpan, Timeout.InfiniteTimeSpan);
        _gapTimer.Change(_gapTimeout, Timeout.InfiniteTimeSpan);
    }

    private void OnGapTimer()
    {
        List<SequenceGap>? gaps = null;
        lock (Gate)
        {
            if (Pending.Count == 0 || _ended)
            {
                return;
            }

            TimeSpan waited = _timeProvider.GetElapsedTime(_blockedSince);
            if (waited < _gapTimeout)
            {
                _gapTimer!.Change(_gapTimeout - waited, Timeout.InfiniteTimeSpan);
                return;
            }

            SkipToLocked(Pending.Keys.First(), timedOut: true, ref gaps);
            while (ReleasePendingHeadLocked())
            {
            }

            ArmGapTimerLocked(newGap: true);
        }

        Report(gaps);
    }

    private void Report(List<SequenceGap>? gaps)
    {
        if (gaps is null || _gapDetected is null)
        {
            return;
        }

        foreach (SequenceGap gap in gaps)
        {
            _gapDetected(gap);
        }
    }

    /// <summary>Stops the gap timer and completes <see cref="Reader"/>.</summary>
    public void Dispose()
    {
        lock (Gate)
        {
            _gapTimer?.Dispose();
            _gapTimer = null;
            _ended = true;
            _releasedChunks?.Writer.TryComplete();
        }
    }
}
