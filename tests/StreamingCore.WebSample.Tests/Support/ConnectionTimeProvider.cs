using System.Threading.Channels;
using Microsoft.Extensions.Time.Testing;

namespace StreamingCore.WebSample.Tests.Support;

/// <summary>
/// The sample's clock in a test: a <see cref="FakeTimeProvider"/> that reports each connection's MaxConnectionDuration timer,
/// so the test advances time only once the connection it means to cut exists.
/// </summary>
internal sealed class ConnectionTimeProvider(TimeSpan maxConnectionDuration) : FakeTimeProvider
{
    // One item per connection whose duration timer was created.
    private readonly Channel<TimeSpan> _connections = Channel.CreateUnbounded<TimeSpan>();

    /// <summary>Gets how many connections started (each makes one duration timer).</summary>
    public int Connections { get; private set; }

    public override ITimer CreateTimer(TimerCallback callback, object? state, TimeSpan dueTime, TimeSpan period)
    {
        ITimer timer = base.CreateTimer(callback, state, dueTime, period);
        if (dueTime == maxConnectionDuration)
        {
            Connections++;
            _connections.Writer.TryWrite(dueTime);
        }

        return timer;
    }

    /// <summary>Waits until the next connection has started its duration timer.</summary>
    public async Task NextConnectionAsync() => await _connections.Reader.ReadAsync(TestGuard.Token);
}
