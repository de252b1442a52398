using Microsoft.Extensions.Time.Testing;
using NUnit.Framework;
using StreamingCore.Tests.Support;

namespace StreamingCore.Tests.Sequencing;

public class ChunkSequencerTests
{
    private static StreamChunk<string> Chunk(long sequence, bool isFinal = false) => new(sequence, $"#{sequence}", DateTimeOffset.UnixEpoch, isFinal);

    private static List<long> Released(ChunkSequencer<string> sequencer)
    {
        var released = new List<long>();
        while (sequencer.Reader.TryRead(out StreamChunk<string> chunk))
        {
            released.Add(chunk.Sequence);
        }

        return released;
    }

    [Test]
    public void Stamp_numbers_chunks_from_one_with_the_clock_time()
    {
        var time = new FakeTimeProvider(new DateTimeOffset(2026, 1, 2, 3, 4, 5, TimeSpan.Zero));
        var sequencer = new ChunkSequencer<string>(timeProvider: time);

        StreamChunk<string> first = sequencer.Stamp("a");
        time.Advance(TimeSpan.FromSeconds(1));
        StreamChunk<string> second = sequencer.Stamp("b", isFinal: true);

        Assert.Multiple(() =>
        {
            Assert.That((first.Sequence, first.Data, first.IsFinal), Is.EqualTo((1L, "a", false)));
            Assert.That((second.Sequence, second.IsFinal), Is.EqualTo((2L, true)));
            Assert.That(second.Timestamp - first.Timestamp, Is.EqualTo(TimeSpan.FromSeconds(1)));
            Assert.That(sequencer.LastStamped, Is.EqualTo(2));
        });
    }

    [Test]
    public void Stamp_is_gap_free_under_concurrent_writers()
    {
        var sequencer = new ChunkSequencer<int>();
        var stamped = new System.Collections.Concurrent.ConcurrentBag<long>();
        Parallel.For(0, 10_000, i => stamped.Add(sequencer.Stamp(i).Sequence));

        Assert.That(stamped.Order(), Is.EqualTo(Enumerable.Range(1, 10_000).Select(i => (long)i)));
    }

    [Test]
    public void Out_of_order_chunks_within_the_window_are_released_in_order()
    {
        var sequencer = new ChunkSequencer<string>(new ChunkSequencerOptions { ReorderWindow = 4 });

        Assert.Multiple(() =>
        {
            Assert.That(sequencer.Offer(Chunk(2)), Is.EqualTo(ChunkOfferResult.Buffered));
            Assert.That(sequencer.Offer(Chunk(4)), Is.EqualTo(ChunkOfferResult.Buffered));
            Assert.That(Released(sequencer), Is.Empty);
            Assert.That(sequencer.Offer(Chunk(1)), Is.EqualTo(ChunkOfferResult.Released));
            Assert.That(Released(sequencer), Is.EqualTo(new long[] { 1, 2 }));
            Assert.That(sequencer.Offer(Chunk(3)), Is.EqualTo(ChunkOfferResult.Released));
            Assert.That(Released(sequencer), Is.EqualTo(new long[] { 3, 4 }));
            Assert.That(sequencer.NextExpected, Is.EqualTo(5));
        });
    }

    [Test]
    public void Duplicates_are_dropped_and_counted()
    {
        var sequencer = new ChunkSequencer<string>();
        sequencer.Offer(Chunk(1));
        sequencer.Offer(Chunk(3));

        Assert.Multiple(() =>
        {
            Assert.That(sequencer.Offer(Chunk(1)), Is.EqualTo(ChunkOfferResult.Duplicate));
            Assert.That(sequencer.Offer(Chunk(3)), Is.EqualTo(ChunkOfferResult.Duplicate));
            Assert.That(sequencer.DuplicateCount, Is.EqualTo(2));
            Assert.That(Released(sequencer), Is.EqualTo(new long[] { 1 }));
        });
    }

    [Test]
    public void A_chunk_beyond_the_window_reports_a_gap_and_releases_what_it_can()
    {
        var gaps = new List<SequenceGap>();
        var sequencer = new ChunkSequencer<string>(new ChunkSequencerOptions { ReorderWindow = 3, GapDetected = gaps.Add });
        sequencer.Offer(Chunk(1));
        sequencer.Offer(Chunk(3));

        // 6 is 4 ahead of the missing 2: the window (3) is exceeded, so 2 is given up.
        Assert.That(sequencer.Offer(Chunk(6)), Is.EqualTo(ChunkOfferResult.Buffered));

        Assert.Multiple(() =>
        {
            Assert.That(gaps, Is.EqualTo(new[] { new SequenceGap(2, 2, TimedOut: false) }));
            Assert.That(Released(sequencer), Is.EqualTo(new long[] { 1, 3 }));
            Assert.That(sequencer.NextExpected, Is.EqualTo(4));
            Assert.That(sequencer.GapCount, Is.EqualTo(1));
        });
    }

    [Test]
    public void A_chunk_too_far_ahead_is_rejected_and_changes_nothing()
    {
        var sequencer = new ChunkSequencer<string>(new ChunkSequencerOptions { ReorderWindow = 4, MaxAhead = 10 });
        sequencer.Offer(Chunk(1));

        Assert.Multiple(() =>
        {
            Assert.That(sequencer.Offer(Chunk(12)), Is.EqualTo(ChunkOfferResult.Rejected));
            Assert.That(sequencer.NextExpected, Is.EqualTo(2));
            Assert.That(sequencer.PendingCount, Is.Zero);
            Assert.That(sequencer.GapCount, Is.Zero);
        });
    }

    [Test]
    public void A_missing_chunk_is_given_up_when_the_gap_timeout_passes()
    {
        var time = new FakeTimeProvider();
        var gaps = new List<SequenceGap>();
        var sequencer = new ChunkSequencer<string>(new ChunkSequencerOptions { GapTimeout = TimeSpan.FromSeconds(2), GapDetected = gaps.Add }, time);
        sequencer.Offer(Chunk(1));
        sequencer.Offer(Chunk(3));
        sequencer.Offer(Chunk(4));

        time.Advance(TimeSpan.FromSeconds(2) - TimeSpan.FromTicks(1));
        Assert.That(gaps, Is.Empty);
        time.Advance(TimeSpan.FromTicks(1));

        Assert.Multiple(() =>
        {
            Assert.That(gaps, Is.EqualTo(new[] { new SequenceGap(2, 2, TimedOut: true) }));
            Assert.That(Released(sequencer), Is.EqualTo(new long[] { 1, 3, 4 }));
        });
    }

    [Test]
    public void The_gap_timeout_counts_from_when_the_gap_began_not_from_the_latest_chunk()
    {
        var time = new FakeTimeProvider();
        var gaps = new List<SequenceGap>();
        var sequencer = new ChunkSequencer<string>(new ChunkSequencerOptions { GapTimeout = TimeSpan.FromSeconds(1), GapDetected = gaps.Add }, time);

        // Chunk 1 never comes; later chunks keep arriving every 600 ms, faster than the timeout.
        sequencer.Offer(Chunk(2));
        time.Advance(TimeSpan.FromMilliseconds(600));
        sequencer.Offer(Chunk(3));
        time.Advance(TimeSpan.FromMilliseconds(400) - TimeSpan.FromTicks(1));
        Assert.That(gaps, Is.Empty, "just before 1 s");

        time.Advance(TimeSpan.FromTicks(1));
        Assert.Multiple(() =>
        {
            Assert.That(gaps, Is.EqualTo(new[] { new SequenceGap(1, 1, TimedOut: true) }), "at 1 s after chunk 2 began waiting");
            Assert.That(Released(sequencer), Is.EqualTo(new long[] { 2, 3 }));
        });

        time.Advance(TimeSpan.FromMilliseconds(200));
        Assert.That(sequencer.Offer(Chunk(4)), Is.EqualTo(ChunkOfferResult.Released));
        Assert.That(Released(sequencer), Is.EqualTo(new long[] { 4 }));
    }

    [Test]
    public void A_later_chunk_does_not_postpone_the_timeout_of_a_gap_further_back()
    {
        var time = new FakeTimeProvider();
        var gaps = new List<SequenceGap>();
        var sequencer = new ChunkSequencer<string>(new ChunkSequencerOptions { GapTimeout = TimeSpan.FromSeconds(1), GapDetected = gaps.Add }, time);
        sequencer.Offer(Chunk(1));
        sequencer.Offer(Chunk(3));

        // 2 is missing from t=0; at 0.5 s chunk 2 arrives, so 4 (missing) is the new head-of-line gap from then on.
        time.Advance(TimeSpan.FromMilliseconds(500));
        sequencer.Offer(Chunk(5));
        sequencer.Offer(Chunk(2));
        Assert.That(Released(sequencer), Is.EqualTo(new long[] { 1, 2, 3 }));

        time.Advance(TimeSpan.FromMilliseconds(900));
        sequencer.Offer(Chunk(6));
        time.Advance(TimeSpan.FromMilliseconds(100) - TimeSpan.FromTicks(1));
        Assert.That(gaps, Is.Empty, "the gap at 4 began at 0.5 s, not at 0 s");

        time.Advance(TimeSpan.FromTicks(1));
        Assert.Multiple(() =>
        {
            Assert.That(gaps, Is.EqualTo(new[] { new SequenceGap(4, 4, TimedOut: true) }), "1 s after 4 became the next expected chunk, despite chunk 6 at 1.4 s");
            Assert.That(Released(sequencer), Is.EqualTo(new long[] { 5, 6 }));
        });
    }

    [Test]
    public async Task The_final_chunk_completes_the_reader_and_later_chunks_are_refused()
    {
        var sequencer = new ChunkSequencer<string>();
        sequencer.Offer(Chunk(2, isFinal: true));
        sequencer.Offer(Chunk(1));

        var released = new List<long>();
        await foreach (StreamChunk<string> chunk in sequencer.Reader.ReadAllAsync(TestGuard.Token))
        {
            released.Add(chunk.Sequence);
        }

        Assert.That(released, Is.EqualTo(new long[] { 1, 2 }));
        Assert.That(sequencer.Offer(Chunk(3)), Is.EqualTo(ChunkOfferResult.Rejected));
    }

    [Test]
    public async Task Chunks_after_a_buffered_final_chunk_are_refused_and_no_gap_is_reported_past_the_end()
    {
        var gaps = new List<SequenceGap>();
        var sequencer = new ChunkSequencer<string>(new ChunkSequencerOptions { ReorderWindow = 3, GapDetected = gaps.Add });
        sequencer.Offer(Chunk(1));
        Assert.That(sequencer.Offer(Chunk(3, isFinal: true)), Is.EqualTo(ChunkOfferResult.Buffered));

        Assert.Multiple(() =>
        {
            // 4 is within the window and 10 beyond it; both lie past the known end.
            Assert.That(sequencer.Offer(Chunk(4)), Is.EqualTo(ChunkOfferResult.Rejected));
            Assert.That(sequencer.Offer(Chunk(10)), Is.EqualTo(ChunkOfferResult.Rejected));
            Assert.That(sequencer.PendingCount, Is.EqualTo(1));
            Assert.That(gaps, Is.Empty);
        });

        Assert.That(sequencer.Offer(Chunk(2)), Is.EqualTo(ChunkOfferResult.Released));
        var released = new List<long>();
        await foreach (StreamChunk<string> chunk in sequencer.Reader.ReadAllAsync(TestGuard.Token))
        {
            released.Add(chunk.Sequence);
        }

        Assert.Multiple(() =>
        {
            Assert.That(released, Is.EqualTo(new long[] { 1, 2, 3 }));
            Assert.That(gaps, Is.Empty);
            Assert.That(sequencer.GapCount, Is.Zero);
        });
    }

    [Test]
    public void A_gap_before_a_buffered_final_chunk_is_reported_but_never_one_past_it()
    {
        var time = new FakeTimeProvider();
        var gaps = new List<SequenceGap>();
        var sequencer = new ChunkSequencer<string>(new ChunkSequencerOptions { ReorderWindow = 3, GapTimeout = TimeSpan.FromSeconds(1), GapDetected = gaps.Add }, time);
        sequencer.Offer(Chunk(1));
        sequencer.Offer(Chunk(3, isFinal: true));

        // Forcing the window past the end would have given up 2 and then invented a gap 4..7 after the end.
        Assert.That(sequencer.Offer(Chunk(10)), Is.EqualTo(ChunkOfferResult.Rejected));
        time.Advance(TimeSpan.FromSeconds(1));

        Assert.Multiple(() =>
        {
            Assert.That(gaps, Is.EqualTo(new[] { new SequenceGap(2, 2, TimedOut: true) }));
            Assert.That(Released(sequencer), Is.EqualTo(new long[] { 1, 3 }));
            Assert.That(sequencer.Reader.Completion.IsCompleted, Is.True);
        });
    }

    [Test]
    public void An_earlier_final_chunk_ends_the_stream_there_and_drops_what_waits_past_it()
    {
        var sequencer = new ChunkSequencer<string>();
        sequencer.Offer(Chunk(4));
        sequencer.Offer(Chunk(5, isFinal: true));

        Assert.Multiple(() =>
        {
            Assert.That(sequencer.Offer(Chunk(2, isFinal: true)), Is.EqualTo(ChunkOfferResult.Buffered));
            Assert.That(sequencer.PendingCount, Is.EqualTo(1), "4 and 5 lie past the new end");
            Assert.That(sequencer.Offer(Chunk(3)), Is.EqualTo(ChunkOfferResult.Rejected));
            Assert.That(sequencer.Offer(Chunk(1)), Is.EqualTo(ChunkOfferResult.Released));
            Assert.That(Released(sequencer), Is.EqualTo(new long[] { 1, 2 }));
            Assert.That(sequencer.Reader.Completion.IsCompleted, Is.True);
        });
    }

    [Test]
    public void Invalid_options_and_chunks_are_refused()
    {
        Assert.Multiple(() =>
        {
            Assert.That(() => new ChunkSequencer<string>(new ChunkSequencerOptions { ReorderWindow = 0 }), Throws.InstanceOf<ArgumentOutOfRangeException>().With.Message.Contains("ReorderWindow"));
            Assert.That(() => new ChunkSequencer<string>(new ChunkSequencerOptions { ReorderWindow = 10, MaxAhead = 5 }), Throws.InstanceOf<ArgumentOutOfRangeException>().With.Message.Contains("MaxAhead"));
            Assert.That(() => new ChunkSequencer<string>(new ChunkSequencerOptions { GapTimeout = TimeSpan.Zero }), Throws.InstanceOf<ArgumentOutOfRangeException>().With.Message.Contains("GapTimeout"));
            Assert.That(() => new ChunkSequencer<string>().Offer(Chunk(0)), Throws.InstanceOf<ArgumentOutOfRangeException>().With.Property("ParamName").EqualTo("chunk"));
        });
    }
}
