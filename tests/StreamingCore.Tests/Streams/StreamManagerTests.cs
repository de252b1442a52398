using System.Threading.Channels;
using Microsoft.Extensions.Time.Testing;
using NUnit.Framework;
using StreamingCore.Tests.Support;

namespace StreamingCore.Tests.Streams;

public class StreamManagerTests
{
    private static async Task<List<T>> ReadAll<T>(ChannelReader<T> reader)
    {
        var items = new List<T>();
        await foreach (T item in reader.ReadAllAsync(TestGuard.Token))
        {
            items.Add(item);
        }

        return items;
    }

    [Test]
    public async Task A_completed_stream_delivers_its_items_and_leaves_the_registry()
    {
        using var manager = new StreamManager<int>();
        ManagedStream<int> stream = manager.Create("a");
        Assert.That(manager.TryGet("a", out ManagedStream<int>? found) && found == stream, Is.True);
        stream.TryWrite(1);
        await stream.WriteAsync(2, TestGuard.Token);

        Assert.That(manager.Complete("a"), Is.True);

        Assert.Multiple(async () =>
        {
            Assert.That(stream.State, Is.EqualTo(StreamState.Completed));
            Assert.That(manager.TryGet("a", out _), Is.False);
            Assert.That(manager.ActiveCount, Is.Zero);
            Assert.That(await ReadAll(stream.Reader), Is.EqualTo(new[] { 1, 2 }));
            Assert.That(manager.Complete("a"), Is.False);
        });
    }

    [Test]
    public void Failed_and_cancelled_streams_end_with_their_error_after_the_items()
    {
        using var manager = new StreamManager<int>();
        ManagedStream<int> failed = manager.Create("f");
        ManagedStream<int> cancelled = manager.Create("c");
        failed.TryWrite(1);
        var error = new InvalidOperationException("upstream broke");

        manager.Fail("f", error);
        manager.Cancel("c");

        Assert.Multiple(() =>
        {
            Assert.That(failed.State, Is.EqualTo(StreamState.Failed));
            Assert.That(cancelled.State, Is.EqualTo(StreamState.Cancelled));
            Assert.That(failed.Reader.TryRead(out int item) && item == 1, Is.True);
            Assert.That(async () => await ReadAll(failed.Reader), Throws.InstanceOf<InvalidOperationException>().With.Message.EqualTo("upstream broke"));
            Assert.That(async () => await ReadAll(cancelled.Reader), Throws.InstanceOf<OperationCanceledException>());
            Assert.That(failed.TryWrite(2), Is.False);
        });
    }

    [Test]
    public void The_stream_limit_and_duplicate_ids_are_refused_and_an_ended_id_is_reusable()
    {
        using var manager = new StreamManager<int>(new StreamManagerOptions { MaxStreams = 2 });
        manager.Create("a");
        manager.Create("b");

        Assert.That(() => manager.Create("c"), Throws.InvalidOperationException.With.Message.Contains("MaxStreams"));
        Assert.That(() => manager.Create("a"), Throws.ArgumentException.With.Message.Contains("already active"));
        Assert.That(manager.ActiveCount, Is.EqualTo(2));

        manager.Complete("a");
        Assert.That(manager.Create("a").State, Is.EqualTo(StreamState.Active));
    }

    [Test]
    public void A_late_end_through_an_old_handle_never_ends_the_stream_that_reused_its_id()
    {
        using var manager = new StreamManager<int>();
        ManagedStream<int> first = manager.Create("s");
        Assert.That(first.Complete(), Is.True);
        ManagedStream<int> second = manager.Create("s");

        Assert.Multiple(() =>
        {
            Assert.That(first.Complete(), Is.False);
            Assert.That(first.Fail(new InvalidOperationException("late")), Is.False);
            Assert.That(first.Cancel(), Is.False);
            Assert.That(first.State, Is.EqualTo(StreamState.Completed));
            Assert.That(second.State, Is.EqualTo(StreamState.Active));
            Assert.That(second.TryWrite(1), Is.True);
            Assert.That(manager.TryGet("s", out ManagedStream<int>? found) && found == second, Is.True);
        });
    }

    [Test]
    public async Task A_handle_ends_its_own_stream_once_with_the_outcome_its_reader_sees()
    {
        using var manager = new StreamManager<int>();
        ManagedStream<int> completed = manager.Create("c");
        ManagedStream<int> failed = manager.Create("f");
        ManagedStream<int> cancelled = manager.Create("x");
        completed.TryWrite(1);

        Assert.Multiple(() =>
        {
            Assert.That(completed.Complete(), Is.True);
            Assert.That(failed.Fail(new InvalidOperationException("upstream broke")), Is.True);
            Assert.That(cancelled.Cancel(), Is.True);
            Assert.That(completed.Cancel(), Is.False, "the first end wins");
            Assert.That(failed.Complete(), Is.False, "the first end wins");
            Assert.That(() => completed.Fail(null!), Throws.ArgumentNullException);
            Assert.That(manager.ActiveCount, Is.Zero);
        });

        Assert.Multiple(async () =>
        {
            Assert.That(completed.State, Is.EqualTo(StreamState.Completed));
            Assert.That(failed.State, Is.EqualTo(StreamState.Failed));
            Assert.That(cancelled.State, Is.EqualTo(StreamState.Cancelled));
            Assert.That(await ReadAll(completed.Reader), Is.EqualTo(new[] { 1 }));
            Assert.That(async () => await ReadAll(failed.Reader), Throws.InstanceOf<InvalidOperationException>().With.Message.EqualTo("upstream broke"));
            Assert.That(async () => await ReadAll(cancelled.Reader), Throws.InstanceOf<OperationCanceledException>());
        });
    }

    [Test]
    public void An_idle_stream_times_out_on_the_time_provider()
    {
        var time = new FakeTimeProvider();
        using var manager = new StreamManager<int>(new StreamManagerOptions { IdleTimeout = TimeSpan.FromSeconds(10) }, time);
        ManagedStream<int> stream = manager.Create("a");

        time.Advance(TimeSpan.FromSeconds(6));
        stream.TryWrite(1);
        time.Advance(TimeSpan.FromSeconds(6));
        Assert.That(stream.State, Is.EqualTo(StreamState.Active), "a write restarts the idle time");

        time.Advance(TimeSpan.FromSeconds(4));
        Assert.Multiple(() =>
        {
            Assert.That(stream.State, Is.EqualTo(StreamState.TimedOut));
            Assert.That(manager.TryGet("a", out _), Is.False);
            Assert.That(async () => await ReadAll(stream.Reader), Throws.InstanceOf<TimeoutException>());
        });
    }

    [Test]
    public async Task A_full_stream_applies_backpressure_to_its_producer()
    {
        using var manager = new StreamManager<int>(new StreamManagerOptions { StreamCapacity = 2 });
        ManagedStream<int> stream = manager.Create("a");
        await stream.WriteAsync(1, TestGuard.Token);
        await stream.WriteAsync(2, TestGuard.Token);

        ValueTask blocked = stream.WriteAsync(3, TestGuard.Token);
        Assert.That(blocked.IsCompleted, Is.False);

        Assert.That(await stream.Reader.ReadAsync(TestGuard.Token), Is.EqualTo(1));
        Assert.That(await stream.Reader.ReadAsync(TestGuard.Token), Is.EqualTo(2));
        await blocked.Guarded();
        Assert.That(await stream.Reader.ReadAsync(TestGuard.Token), Is.EqualTo(3));
    }

    [Test]
    public void Create_after_Dispose_throws_ObjectDisposed()
    {
        var manager = new StreamManager<int>();
        ManagedStream<int> before = manager.Create("a");
        manager.Dispose();

        Assert.Multiple(() =>
        {
            Assert.That(() => manager.Create("b"), Throws.InstanceOf<ObjectDisposedException>());
            Assert.That(manager.ActiveCount, Is.Zero);
            Assert.That(manager.TryGet("b", out _), Is.False);
            Assert.That(before.State, Is.EqualTo(StreamState.Cancelled));
        });
    }

    [Test]
    public void A_Create_that_Dispose_overtakes_before_registration_leaves_no_active_stream()
    {
        var time = new HookedTimeProvider(new FakeTimeProvider());
        var manager = new StreamManager<int>(timeProvider: time);
        bool disposedMidCreate = false;

        // Building the stream arms its idle timer: that is after Create's checks and before it registers the stream.
        time.OnCreateTimer = () =>
        {
            manager.Dispose();
            disposedMidCreate = true;
        };

        Assert.Multiple(() =>
        {
            Assert.That(() => manager.Create("a"), Throws.InstanceOf<ObjectDisposedException>());
            Assert.That(disposedMidCreate, Is.True, "Dispose ran in the middle of Create");
            Assert.That(manager.ActiveCount, Is.Zero);
            Assert.That(manager.TryGet("a", out _), Is.False);
        });
    }

    /// <summary>A fake clock that runs a hook, once, when a timer is created.</summary>
    private sealed class HookedTimeProvider(FakeTimeProvider inner) : TimeProvider
    {
        public Action? OnCreateTimer { get; set; }

        public override long TimestampFrequency => inner.TimestampFrequency;

        public override DateTimeOffset GetUtcNow() => inner.GetUtcNow();

        public override long GetTimestamp() => inner.GetTimestamp();

        public override ITimer CreateTimer(TimerCallback callback, object? state, TimeSpan dueTime, TimeSpan period)
        {
            Action? hook = OnCreateTimer;
            OnCreateTimer = null;
            hook?.Invoke();
            return inner.CreateTimer(callback, state, dueTime, period);
        }
    }

    [Test]
    public void Invalid_options_are_refused_with_the_setting_named()
    {
        Assert.Multiple(() =>
        {
            Assert.That(() => new StreamManager<int>(new StreamManagerOptions { MaxStreams = 0 }), Throws.InstanceOf<ArgumentOutOfRangeException>().With.Message.Contains("MaxStreams"));
            Assert.That(() => new StreamManager<int>(new StreamManagerOptions { StreamOverflow = OverflowStrategy.Coalesce }), Throws.ArgumentException.With.Message.Contains("Coalesce"));
            Assert.That(() => new StreamManager<int>(new StreamManagerOptions { IdleTimeout = TimeSpan.FromSeconds(-1) }), Throws.InstanceOf<ArgumentOutOfRangeException>().With.Message.Contains("IdleTimeout"));
        });
    }
}
