using System.Threading.Channels;
using NUnit.Framework;
using StreamingCore.Tests.Support;

namespace StreamingCore.Tests.Buffering;

public class ResponseBufferTests
{
    private static ResponseBuffer<int> Create(OverflowStrategy strategy, int capacity = 3, Func<int, bool>? canDrop = null, List<int>? dropped = null, ResponseBufferMerge<int>? merge = null)
        => new(new ResponseBufferOptions<int>
        {
            Capacity = capacity,
            OverflowStrategy = strategy,
            CanDrop = canDrop,
            ItemDropped = dropped is null ? null : dropped.Add,
            Merge = merge,
        });

    private static List<int> Drain(ResponseBuffer<int> buffer)
    {
        var items = new List<int>();
        while (buffer.Reader.TryRead(out int item))
        {
            items.Add(item);
        }

        return items;
    }

    private static void WriteAll(ResponseBuffer<int> buffer, params int[] items)
    {
        foreach (int item in items)
        {
            Assert.That(buffer.Writer.TryWrite(item), Is.True, $"TryWrite({item})");
        }
    }

    [Test]
    public void DropOldest_removes_the_oldest_item_and_reports_it()
    {
        var dropped = new List<int>();
        ResponseBuffer<int> buffer = Create(OverflowStrategy.DropOldest, dropped: dropped);
        WriteAll(buffer, 1, 2, 3, 4, 5);

        Assert.Multiple(() =>
        {
            Assert.That(Drain(buffer), Is.EqualTo(new[] { 3, 4, 5 }));
            Assert.That(dropped, Is.EqualTo(new[] { 1, 2 }));
            Assert.That(buffer.DroppedCount, Is.EqualTo(2));
        });
    }

    [Test]
    public void DropOldest_skips_pinned_items()
    {
        // Negative items stand for a stream's start and end: never dropped.
        ResponseBuffer<int> buffer = Create(OverflowStrategy.DropOldest, canDrop: i => i > 0);
        WriteAll(buffer, -1, 2, 3, 4, -5);

        // 4 evicts 2, the pinned -5 evicts 3: the start is kept, the newest items win.
        Assert.That(Drain(buffer), Is.EqualTo(new[] { -1, 4, -5 }));
    }

    [Test]
    public void DropOldest_keeps_an_item_past_capacity_when_every_queued_one_is_pinned()
    {
        var dropped = new List<int>();
        ResponseBuffer<int> buffer = Create(OverflowStrategy.DropOldest, canDrop: i => i > 0, dropped: dropped);
        WriteAll(buffer, -1, -2, -3, 4);

        Assert.That(Drain(buffer), Is.EqualTo(new[] { -1, -2, -3, 4 }));
        Assert.That(dropped, Is.Empty);
    }

    [Test]
    public void DropNewest_discards_the_incoming_item_not_the_newest_buffered_one()
    {
        var dropped = new List<int>();
        ResponseBuffer<int> buffer = Create(OverflowStrategy.DropNewest, dropped: dropped);
        WriteAll(buffer, 1, 2, 3, 4, 5);

        Assert.Multiple(() =>
        {
            Assert.That(Drain(buffer), Is.EqualTo(new[] { 1, 2, 3 }));
            Assert.That(dropped, Is.EqualTo(new[] { 4, 5 }));
        });
    }

    [Test]
    public void DropNewest_keeps_a_pinned_incoming_item_past_capacity()
    {
        ResponseBuffer<int> buffer = Create(OverflowStrategy.DropNewest, canDrop: i => i > 0);
        WriteAll(buffer, 1, 2, 3, 4, -5);

        Assert.That(Drain(buffer), Is.EqualTo(new[] { 1, 2, 3, -5 }));
    }

    [TestCase(OverflowStrategy.DropOldest, new[] { 3, 4 })]
    [TestCase(OverflowStrategy.DropNewest, new[] { 1, 2 })]
    public async Task A_throwing_ItemDropped_does_not_escape_the_write_and_is_counted(OverflowStrategy strategy, int[] kept)
    {
        ResponseBuffer<int>? buffer = null;
        var countsSeenByCallback = new List<int>();
        buffer = new ResponseBuffer<int>(new ResponseBufferOptions<int>
        {
            Capacity = 2,
            OverflowStrategy = strategy,
            ItemDropped = _ =>
            {
                // Another thread takes the buffer's lock: this completes only because the callback runs outside it.
                countsSeenByCallback.Add(Task.Run(() => buffer!.Reader.Count).WaitAsync(TestGuard.Token).GetAwaiter().GetResult());
                throw new InvalidOperationException("callback broke");
            },
        });
        WriteAll(buffer, 1, 2);

        Assert.That(buffer.Writer.TryWrite(3), Is.True);
        await buffer.Writer.WriteAsync(4, TestGuard.Token);

        Assert.Multiple(() =>
        {
            Assert.That(buffer.DroppedCount, Is.EqualTo(2));
            Assert.That(buffer.CallbackFailureCount, Is.EqualTo(2));
            Assert.That(countsSeenByCallback, Is.EqualTo(new[] { 2, 2 }));
            Assert.That(Drain(buffer), Is.EqualTo(kept));
        });

        // Still fully working: writes, reads and completion.
        WriteAll(buffer, 5);
        buffer.Writer.Complete();
        Assert.That(Drain(buffer), Is.EqualTo(new[] { 5 }));
        await buffer.Reader.Completion.Guarded();
    }

    [Test]
    public async Task Reject_refuses_TryWrite_and_throws_BufferFull_from_WriteAsync()
    {
        ResponseBuffer<int> buffer = Create(OverflowStrategy.Reject);
        WriteAll(buffer, 1, 2, 3);

        Assert.That(buffer.Writer.TryWrite(4), Is.False);
        var ex = await Assert.ThrowsAsync<BufferFullException>(async () => await buffer.Writer.WriteAsync(4));
        Assert.Multiple(() =>
        {
            Assert.That(ex!.Capacity, Is.EqualTo(3));
            Assert.That(Drain(buffer), Is.EqualTo(new[] { 1, 2, 3 }));
        });
    }

    [Test]
    public async Task Reject_WaitToWriteAsync_waits_for_a_read_to_free_a_slot()
    {
        ResponseBuffer<int> buffer = Create(OverflowStrategy.Reject);
        ValueTask<bool> roomAtOnce = buffer.Writer.WaitToWriteAsync(TestGuard.Token);
        Assert.That(roomAtOnce.IsCompletedSuccessfully && roomAtOnce.Result, Is.True, "room: true at once");
        WriteAll(buffer, 1, 2, 3);

        ValueTask<bool> wait = buffer.Writer.WaitToWriteAsync(TestGuard.Token);
        Assert.That(wait.IsCompleted, Is.False, "full: no room until a read");

        Assert.That(buffer.Reader.TryRead(out _), Is.True);
        Assert.That(await wait.Guarded(), Is.True);
        Assert.That(buffer.Writer.TryWrite(4), Is.True);
        Assert.That(Drain(buffer), Is.EqualTo(new[] { 2, 3, 4 }));
    }

    [Test]
    public async Task Reject_WaitToWriteAsync_completes_false_once_the_writer_completes()
    {
        ResponseBuffer<int> buffer = Create(OverflowStrategy.Reject);
        WriteAll(buffer, 1, 2, 3);
        ValueTask<bool> parked = buffer.Writer.WaitToWriteAsync(TestGuard.Token);
        Assert.That(parked.IsCompleted, Is.False);

        buffer.Writer.Complete();

        Assert.That(await parked.Guarded(), Is.False);
        Assert.That(await buffer.Writer.WaitToWriteAsync(TestGuard.Token).Guarded(), Is.False);
    }

    [Test]
    public async Task Reject_WaitToWriteAsync_is_cancelled_through_its_token()
    {
        ResponseBuffer<int> buffer = Create(OverflowStrategy.Reject);
        WriteAll(buffer, 1, 2, 3);
        using var cts = new CancellationTokenSource();
        ValueTask<bool> parked = buffer.Writer.WaitToWriteAsync(cts.Token);
        Assert.That(parked.IsCompleted, Is.False);

        await cts.CancelAsync();

        Assert.That(async () => await parked, Throws.InstanceOf<OperationCanceledException>());
        Assert.That(buffer.Reader.TryRead(out _), Is.True);
        Assert.That(await buffer.Writer.WaitToWriteAsync(TestGuard.Token).Guarded(), Is.True, "usable after a cancelled wait");
    }

    [Test]
    public async Task Reject_the_standard_write_loop_parks_instead_of_spinning_and_ends_after_a_read()
    {
        ResponseBuffer<int> buffer = Create(OverflowStrategy.Reject);
        WriteAll(buffer, 1, 2, 3);
        int attempts = 0;

        // The loop every ChannelWriter user writes; the cap only keeps a spinning implementation from hanging the test.
        async Task<bool> WriteLoop()
        {
            while (await buffer.Writer.WaitToWriteAsync(TestGuard.Token))
            {
                if (buffer.Writer.TryWrite(4))
                {
                    return true;
                }

                if (++attempts > 100)
                {
                    return false;
                }
            }

            return false;
        }

        Task<bool> loop = WriteLoop();
        Assert.Multiple(() =>
        {
            Assert.That(loop.IsCompleted, Is.False, "the loop parks while the buffer is full");
            Assert.That(attempts, Is.Zero);
        });

        Assert.That(buffer.Reader.TryRead(out _), Is.True);
        Assert.That(await loop.Guarded(), Is.True);
        Assert.That(Drain(buffer), Is.EqualTo(new[] { 2, 3, 4 }));
    }

    [TestCase(OverflowStrategy.DropOldest)]
    [TestCase(OverflowStrategy.DropNewest)]
    public void Dropping_strategies_have_room_at_once_while_full(OverflowStrategy strategy)
    {
        ResponseBuffer<int> buffer = Create(strategy);
        WriteAll(buffer, 1, 2, 3);

        ValueTask<bool> wait = buffer.Writer.WaitToWriteAsync(TestGuard.Token);

        Assert.That(wait.IsCompletedSuccessfully && wait.Result, Is.True);
    }

    [Test]
    public async Task Wait_parks_the_writer_until_the_reader_drains_to_the_resume_point()
    {
        var buffer = new ResponseBuffer<int>(new ResponseBufferOptions<int> { Capacity = 4, OverflowStrategy = OverflowStrategy.Wait, ResumeWritingAt = 1 });
        WriteAll(buffer, 1, 2, 3, 4);
        Assert.That(buffer.Writer.TryWrite(5), Is.False);

        ValueTask write = buffer.Writer.WriteAsync(5, TestGuard.Token);
        Assert.That(write.IsCompleted, Is.False);

        // Hysteresis: one free slot is not enough, the writer resumes only at the resume point.
        Assert.That(buffer.Reader.TryRead(out _), Is.True);
        Assert.That(buffer.Reader.TryRead(out _), Is.True);
        Assert.That(write.IsCompleted, Is.False);
        Assert.That(buffer.Reader.TryRead(out _), Is.True);

        await write.Guarded();
        Assert.That(Drain(buffer), Is.EqualTo(new[] { 4, 5 }));
    }

    [Test]
    public async Task Wait_writers_wake_with_ChannelClosed_when_the_buffer_completes()
    {
        ResponseBuffer<int> buffer = Create(OverflowStrategy.Wait, capacity: 1);
        WriteAll(buffer, 1);
        ValueTask write = buffer.Writer.WriteAsync(2, TestGuard.Token);

        buffer.Writer.Complete();

        await Assert.ThrowsAsync<ChannelClosedException>(async () => await write.Guarded());
        Assert.That(await buffer.Reader.ReadAsync(TestGuard.Token), Is.EqualTo(1));
    }

    [Test]
    public void Coalesce_merges_into_the_newest_related_item_passing_over_unrelated_ones()
    {
        // Items are stream * 100 + value; items of one stream merge by adding values, 0-valued items block.
        static MergeResult Merge(int queued, int incoming, out int merged)
        {
            merged = 0;
            if (queued / 100 != incoming / 100)
            {
                return MergeResult.Unrelated;
            }

            if (queued % 100 == 0)
            {
                return MergeResult.Blocked;
            }

            merged = queued + (incoming % 100);
            return MergeResult.Merged;
        }

        ResponseBuffer<int> buffer = Create(OverflowStrategy.Coalesce, merge: Merge);
        WriteAll(buffer, 101, 201, 300);
        WriteAll(buffer, 102, 202, 305);

        Assert.Multiple(() =>
        {
            // 102 merged into 101 past 201/300; 202 into 201; 305 blocked by 300 and appended.
            Assert.That(Drain(buffer), Is.EqualTo(new[] { 103, 203, 300, 305 }));
            Assert.That(buffer.MergedCount, Is.EqualTo(2));
            Assert.That(buffer.DroppedCount, Is.Zero);
        });
    }

    // Items are key * 100 + value: one key merges by adding values, different keys are unrelated (a mixed queue).
    private static MergeResult MergeByKey(int queued, int incoming, out int merged)
    {
        merged = queued + (incoming % 100);
        return queued / 100 == incoming / 100 ? MergeResult.Merged : MergeResult.Unrelated;
    }

    private static ResponseBuffer<int> Bounded(OverflowStrategy strategy, int capacity, int? maxCount, Func<int, bool>? canDrop = null, ResponseBufferMerge<int>? merge = null, List<int>? dropped = null)
        => new(new ResponseBufferOptions<int>
        {
            Capacity = capacity,
            MaxCount = maxCount,
            OverflowStrategy = strategy,
            CanDrop = canDrop,
            Merge = merge,
            ItemDropped = dropped is null ? null : dropped.Add,
        });

    [Test]
    public async Task Coalesce_refuses_an_unmergeable_item_at_MaxCount_and_keeps_what_is_queued()
    {
        ResponseBuffer<int> buffer = Bounded(OverflowStrategy.Coalesce, capacity: 4, maxCount: 8, merge: MergeByKey);
        int[] queued = [100, 200, 300, 400, 500, 600, 700, 800];
        WriteAll(buffer, queued);

        Assert.That(buffer.Writer.TryWrite(900), Is.False, "the 9th unmergeable item");
        var ex = await Assert.ThrowsAsync<BufferFullException>(async () => await buffer.Writer.WriteAsync(900, TestGuard.Token));
        Assert.That(buffer.Writer.TryWrite(105), Is.True, "an item that merges still goes in at the bound");

        Assert.Multiple(() =>
        {
            Assert.That(ex!.Capacity, Is.EqualTo(8));
            Assert.That(ex.Message, Does.Contain("MaxCount"));
            Assert.That(buffer.MergedCount, Is.EqualTo(1));
            Assert.That(Drain(buffer), Is.EqualTo(new[] { 105, 200, 300, 400, 500, 600, 700, 800 }));
        });
    }

    [Test]
    public void Coalesce_never_scans_more_than_MaxCount_items_per_write()
    {
        int mergeCalls = 0;
        MergeResult CountingMerge(int queued, int incoming, out int merged)
        {
            mergeCalls++;
            return MergeByKey(queued, incoming, out merged);
        }

        ResponseBuffer<int> buffer = Bounded(OverflowStrategy.Coalesce, capacity: 4, maxCount: 8, merge: CountingMerge);
        for (int key = 1; key <= 1_000; key++)
        {
            buffer.Writer.TryWrite(key * 100);
        }

        Assert.Multiple(() =>
        {
            Assert.That(buffer.Reader.Count, Is.EqualTo(8));
            Assert.That(mergeCalls, Is.LessThanOrEqualTo(1_000 * 8));
        });
    }

    [Test]
    public async Task DropOldest_with_everything_pinned_refuses_the_item_past_MaxCount()
    {
        var dropped = new List<int>();
        ResponseBuffer<int> buffer = Bounded(OverflowStrategy.DropOldest, capacity: 4, maxCount: 8, canDrop: _ => false, dropped: dropped);
        WriteAll(buffer, 1, 2, 3, 4, 5, 6, 7, 8);

        Assert.That(buffer.Writer.TryWrite(9), Is.False);
        Assert.That(async () => await buffer.Writer.WriteAsync(9, TestGuard.Token), Throws.InstanceOf<BufferFullException>());

        Assert.Multiple(() =>
        {
            Assert.That(Drain(buffer), Is.EqualTo(new[] { 1, 2, 3, 4, 5, 6, 7, 8 }));
            Assert.That(dropped, Is.Empty);
            Assert.That(buffer.DroppedCount, Is.Zero);
        });
    }

    [Test]
    public void DropOldest_at_MaxCount_still_evicts_a_droppable_item_and_refuses_only_when_none_is_left()
    {
        ResponseBuffer<int> buffer = Bounded(OverflowStrategy.DropOldest, capacity: 2, maxCount: 3, canDrop: i => i > 0);
        WriteAll(buffer, -1, -2, 3);

        Assert.Multiple(() =>
        {
            Assert.That(buffer.Writer.TryWrite(4), Is.True, "4 evicts 3");
            Assert.That(buffer.Writer.TryWrite(-5), Is.True, "-5 evicts 4");
            Assert.That(buffer.Writer.TryWrite(-6), Is.False, "nothing droppable is left");
            Assert.That(Drain(buffer), Is.EqualTo(new[] { -1, -2, -5 }));
        });
    }

    [Test]
    public void DropNewest_at_MaxCount_drops_a_droppable_item_and_refuses_a_pinned_one()
    {
        ResponseBuffer<int> buffer = Bounded(OverflowStrategy.DropNewest, capacity: 2, maxCount: 3, canDrop: i => i > 0);
        WriteAll(buffer, 1, 2, -3);

        Assert.Multiple(() =>
        {
            Assert.That(buffer.Writer.TryWrite(4), Is.True, "dropped, as any droppable item of a full buffer");
            Assert.That(buffer.Writer.TryWrite(-5), Is.False, "kept past MaxCount otherwise");
            Assert.That(Drain(buffer), Is.EqualTo(new[] { 1, 2, -3 }));
            Assert.That(buffer.DroppedCount, Is.EqualTo(1));
        });
    }

    [Test]
    public void MaxCount_defaults_to_twice_the_capacity()
    {
        ResponseBuffer<int> buffer = Bounded(OverflowStrategy.DropOldest, capacity: 3, maxCount: null, canDrop: _ => false);
        WriteAll(buffer, 1, 2, 3, 4, 5, 6);

        Assert.Multiple(() =>
        {
            Assert.That(buffer.MaxCount, Is.EqualTo(6));
            Assert.That(buffer.Writer.TryWrite(7), Is.False);
            Assert.That(Bounded(OverflowStrategy.DropOldest, capacity: int.MaxValue, maxCount: null).MaxCount, Is.EqualTo(int.MaxValue));
        });
    }

    [Test]
    public void A_MaxCount_below_the_capacity_is_refused_with_the_option_named()
    {
        Assert.Multiple(() =>
        {
            Assert.That(() => Bounded(OverflowStrategy.Coalesce, capacity: 4, maxCount: 3, merge: MergeByKey), Throws.InstanceOf<ArgumentOutOfRangeException>().With.Message.Contains("MaxCount"));
            Assert.That(Bounded(OverflowStrategy.DropOldest, capacity: 4, maxCount: 4).MaxCount, Is.EqualTo(4));
        });
    }

    [TestCase(OverflowStrategy.DropOldest)]
    [TestCase(OverflowStrategy.DropNewest)]
    [TestCase(OverflowStrategy.Coalesce)]
    public async Task At_MaxCount_WaitToWriteAsync_waits_for_a_read_as_under_Reject(OverflowStrategy strategy)
    {
        ResponseBuffer<int> buffer = Bounded(strategy, capacity: 2, maxCount: 3, canDrop: _ => false, merge: MergeByKey);
        WriteAll(buffer, 100, 200);
        ValueTask<bool> pastCapacity = buffer.Writer.WaitToWriteAsync(TestGuard.Token);
        Assert.That(pastCapacity.IsCompletedSuccessfully && pastCapacity.Result, Is.True, "below MaxCount every write succeeds");
        WriteAll(buffer, 300);

        ValueTask<bool> wait = buffer.Writer.WaitToWriteAsync(TestGuard.Token);
        Assert.That(wait.IsCompleted, Is.False);

        Assert.That(buffer.Reader.TryRead(out _), Is.True);
        Assert.That(await wait.Guarded(), Is.True);
        Assert.That(buffer.Writer.TryWrite(400), Is.True);
    }

    [Test]
    public async Task Completion_with_an_error_reaches_the_reader_after_the_queued_items()
    {
        ResponseBuffer<int> buffer = Create(OverflowStrategy.Wait);
        WriteAll(buffer, 1, 2);
        var error = new InvalidOperationException("boom");
        buffer.Writer.Complete(error);

        Assert.That(buffer.Writer.TryWrite(3), Is.False);
        Assert.That(buffer.Reader.Completion.IsCompleted, Is.False);

        var read = new List<int>();
        var thrown = await Assert.ThrowsAsync<InvalidOperationException>(async () =>
        {
            await foreach (int item in buffer.Reader.ReadAllAsync(TestGuard.Token))
            {
                read.Add(item);
            }
        });
        Assert.Multiple(() =>
        {
            Assert.That(thrown, Is.SameAs(error));
            Assert.That(read, Is.EqualTo(new[] { 1, 2 }));
            Assert.That(buffer.Reader.Completion.IsFaulted, Is.True);
        });
    }

    [Test]
    public async Task A_parked_reader_wakes_on_write_and_on_completion()
    {
        ResponseBuffer<int> buffer = Create(OverflowStrategy.Wait);
        ValueTask<bool> wait = buffer.Reader.WaitToReadAsync(TestGuard.Token);
        Assert.That(wait.IsCompleted, Is.False);
        buffer.Writer.TryWrite(7);
        Assert.That(await wait.Guarded(), Is.True);
        Assert.That(buffer.Reader.TryRead(out int item) && item == 7, Is.True);

        ValueTask<bool> second = buffer.Reader.WaitToReadAsync(TestGuard.Token);
        buffer.Writer.Complete();
        Assert.That(await second.Guarded(), Is.False);
        await buffer.Reader.Completion.Guarded();
    }

    [Test]
    public async Task An_error_nobody_awaits_raises_no_unobserved_task_exception()
    {
        int unobserved = 0;
        void OnUnobserved(object? sender, UnobservedTaskExceptionEventArgs e) => Interlocked.Increment(ref unobserved);
        TaskScheduler.UnobservedTaskException += OnUnobserved;
        try
        {
            await CompleteWithAnErrorAndForget();
            Collector.FullCollect();
        }
        finally
        {
            TaskScheduler.UnobservedTaskException -= OnUnobserved;
        }

        Assert.That(unobserved, Is.Zero);
    }

    /// <summary>A reader gives up waiting, then the writer completes with an error; nobody awaits Completion.</summary>
    [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.NoInlining)]
    private static async Task CompleteWithAnErrorAndForget()
    {
        ResponseBuffer<int> buffer = Create(OverflowStrategy.Wait);
        using var cts = new CancellationTokenSource();
        ValueTask<bool> wait = buffer.Reader.WaitToReadAsync(cts.Token);
        await cts.CancelAsync();
        Assert.That(async () => await wait, Throws.InstanceOf<OperationCanceledException>());
        buffer.Writer.Complete(new InvalidOperationException("nobody listens"));
    }

    [Test]
    public void Invalid_options_are_refused_with_the_rule_named()
    {
        Assert.Multiple(() =>
        {
            Assert.That(() => Create(OverflowStrategy.Wait, capacity: 0), Throws.InstanceOf<ArgumentOutOfRangeException>().With.Message.Contains("Capacity"));
            Assert.That(() => Create(OverflowStrategy.Coalesce), Throws.ArgumentException.With.Message.Contains("Merge"));
            Assert.That(() => Create((OverflowStrategy)42), Throws.ArgumentException.With.Message.Contains("42"));
            Assert.That(
                () => new ResponseBuffer<int>(new ResponseBufferOptions<int> { Capacity = 2, ResumeWritingAt = 2 }),
                Throws.InstanceOf<ArgumentOutOfRangeException>().With.Message.Contains("ResumeWritingAt"));
        });
    }

    [Test]
    public async Task Cancelling_a_read_wait_leaves_the_buffer_usable()
    {
        ResponseBuffer<int> buffer = Create(OverflowStrategy.Wait);
        using var cts = new CancellationTokenSource();
        ValueTask<bool> wait = buffer.Reader.WaitToReadAsync(cts.Token);
        await cts.CancelAsync();
        Assert.That(async () => await wait, Throws.InstanceOf<OperationCanceledException>());

        buffer.Writer.TryWrite(1);
        Assert.That(await buffer.Reader.ReadAsync(TestGuard.Token), Is.EqualTo(1));
    }
}
