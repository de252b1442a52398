using NUnit.Framework;
using StreamingCore.Tests.Support;

namespace StreamingCore.Tests.Backpressure;

public class BackpressureHandlerTests
{
    private static BackpressureHandler Create() => new(new BackpressureOptions { HighWatermark = 100, LowWatermark = 40 });

    [Test]
    public void Pauses_at_the_high_watermark()
    {
        BackpressureHandler handler = Create();
        handler.Add(99);
        Assert.That(handler.IsPaused, Is.False);
        Assert.That(handler.WaitAsync().IsCompletedSuccessfully, Is.True);

        handler.Add(1);
        Assert.That(handler.IsPaused, Is.True);
        Assert.That(handler.WaitAsync().IsCompleted, Is.False);
    }

    [Test]
    public async Task Resumes_only_at_the_low_watermark()
    {
        BackpressureHandler handler = Create();
        handler.Add(120);
        ValueTask wait = handler.WaitAsync(TestGuard.Token);

        handler.Release(79);
        Assert.That(handler.Level, Is.EqualTo(41));
        Assert.That((handler.IsPaused, wait.IsCompleted), Is.EqualTo((true, false)));

        handler.Release(1);
        await wait.Guarded();
        Assert.That(handler.IsPaused, Is.False);

        // Below the high watermark again it stays resumed: hysteresis, no thrashing.
        handler.Add(59);
        Assert.That(handler.IsPaused, Is.False);
    }

    [Test]
    public async Task Reset_releases_every_waiter()
    {
        BackpressureHandler handler = Create();
        handler.Add(100);
        ValueTask first = handler.WaitAsync(TestGuard.Token);
        ValueTask second = handler.WaitAsync(TestGuard.Token);

        handler.Reset();

        await first.Guarded();
        await second.Guarded();
        Assert.That(handler.Level, Is.Zero);
    }

    [Test]
    public async Task A_cancelled_wait_does_not_disturb_others()
    {
        BackpressureHandler handler = Create();
        handler.Add(100);
        using var cts = new CancellationTokenSource();
        ValueTask cancelled = handler.WaitAsync(cts.Token);
        ValueTask other = handler.WaitAsync(TestGuard.Token);

        await cts.CancelAsync();
        Assert.That(async () => await cancelled, Throws.InstanceOf<OperationCanceledException>());
        Assert.That(other.IsCompleted, Is.False);

        handler.Release(60);
        await other.Guarded();
    }

    [Test]
    public void Invalid_use_is_refused_with_the_rule_named()
    {
        Assert.Multiple(() =>
        {
            Assert.That(() => new BackpressureHandler(new BackpressureOptions { HighWatermark = 0 }), Throws.InstanceOf<ArgumentOutOfRangeException>().With.Message.Contains("HighWatermark"));
            Assert.That(() => new BackpressureHandler(new BackpressureOptions { HighWatermark = 10, LowWatermark = 10 }), Throws.InstanceOf<ArgumentOutOfRangeException>().With.Message.Contains("LowWatermark"));
            Assert.That(() => Create().Add(-1), Throws.InstanceOf<ArgumentOutOfRangeException>().With.Property("ParamName").EqualTo("amount"));
            Assert.That(() => Create().Release(1), Throws.InstanceOf<ArgumentOutOfRangeException>().With.Message.Contains("level is 0"));
        });
    }
}
