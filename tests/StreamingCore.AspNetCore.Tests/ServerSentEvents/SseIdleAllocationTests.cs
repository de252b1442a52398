using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using NUnit.Framework;
using StreamingCore.AspNetCore.Tests.Support;

namespace StreamingCore.AspNetCore.Tests.ServerSentEvents;

/// <summary>
/// Issue 11's goal for the SSE endpoint: no allocation per idle connection per heartbeat interval. The endpoint runs in
/// process on a <see cref="DefaultHttpContext"/> whose body discards the bytes, with a clock whose heartbeat the test fires.
/// </summary>
public class SseIdleAllocationTests
{
    private static readonly TimeSpan Heartbeat = TimeSpan.FromSeconds(5);

    [Test]
    public async Task An_idle_connection_allocates_nothing_per_heartbeat()
    {
        const int WarmUp = 100;
        const int Measured = 2_000;
        var time = new ManualTimeProvider();

        // The store keeps the system clock: its timers (a waiting subscription's timeout) are not the heartbeat's.
        using var store = new DefaultChatStreamingStore(new ChatStreamingOptions());
        await using ServiceProvider services = new ServiceCollection()
            .AddSingleton<IChatStreamingStore>(store)
            .AddSingleton<TimeProvider>(time)
            .Configure<ChatStreamingHttpOptions>(o => o.HeartbeatInterval = Heartbeat)
            .BuildServiceProvider();
        var body = new HeartbeatCountingStream();
        using var clientLeaves = new CancellationTokenSource();
        var context = new DefaultHttpContext { RequestServices = services, RequestAborted = clientLeaves.Token };
        context.Response.Body = body;
        Task response = ChatStreamingResults.Events("idle-allocation").ExecuteAsync(context);

        // The first heartbeats start the response and fill the pools of the state machines that each interval reuses.
        for (int i = 0; i < WarmUp; i++)
        {
            time.FireWhenArmed(Heartbeat);
        }

        time.WaitUntilArmed(Heartbeat);
        long before = GC.GetTotalAllocatedBytes(precise: true);
        for (int i = 0; i < Measured; i++)
        {
            time.FireWhenArmed(Heartbeat);
        }

        // Re-armed after the last heartbeat's write: every measured interval has run to its end.
        time.WaitUntilArmed(Heartbeat);
        long allocated = GC.GetTotalAllocatedBytes(precise: true) - before;

        await clientLeaves.CancelAsync();
        await response.Guarded();

        // The whole process is measured (the continuations run on the thread pool), so a little noise is tolerated; a
        // Task.Delay, AsTask and WhenAny per interval cost about 400 bytes each.
        TestContext.Out.WriteLine($"{allocated:N0} B over {Measured:N0} heartbeats");
        Assert.Multiple(() =>
        {
            Assert.That((double)allocated / Measured, Is.LessThan(8), $"{allocated:N0} B allocated over {Measured:N0} heartbeats");
            Assert.That(body.Heartbeats, Is.EqualTo(WarmUp + Measured));
            Assert.That(time.TimersCreated, Is.EqualTo(1), "one heartbeat timer, re-armed");
        });
    }

    /// <summary>A response body that counts the heartbeat comments and discards every byte; writes complete synchronously.</summary>
    private sealed class HeartbeatCountingStream : Stream
    {
        private int _heartbeats;

        public int Heartbeats => Volatile.Read(ref _heartbeats);

        public override bool CanRead => false;

        public override bool CanSeek => false;

        public override bool CanWrite => true;

        public override long Length => throw new NotSupportedException();

        public override long Position
        {
            get => throw new NotSupportedException();
            set => throw new NotSupportedException();
        }

        public override void Write(byte[] buffer, int offset, int count) => Count(buffer.AsSpan(offset, count));

        public override ValueTask WriteAsync(ReadOnlyMemory<byte> buffer, CancellationToken cancellationToken = default)
        {
            Count(buffer.Span);
            return ValueTask.CompletedTask;
        }

        public override Task WriteAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken)
        {
            Count(buffer.AsSpan(offset, count));
            return Task.CompletedTask;
        }

        public override void Flush()
        {
        }

        public override Task FlushAsync(CancellationToken cancellationToken) => Task.CompletedTask;

        public override int Read(byte[] buffer, int offset, int count) => throw new NotSupportedException();

        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

        public override void SetLength(long value) => throw new NotSupportedException();

        private void Count(ReadOnlySpan<byte> bytes)
        {
            if (bytes.SequenceEqual(": heartbeat\n\n"u8))
            {
                Interlocked.Increment(ref _heartbeats);
            }
        }
    }
}
