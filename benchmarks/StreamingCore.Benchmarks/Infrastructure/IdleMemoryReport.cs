using System.Globalization;
using System.Threading.Channels;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using StreamingCore.AspNetCore;

namespace StreamingCore.Benchmarks.Infrastructure;

/// <summary>
/// Issue 11, idle scale, measured with the GC rather than with timings:
/// the heap that each idle subscription holds (a consumer task awaiting <c>SubscribeAsync</c> on a conversation that
/// is not streaming), that each retained conversation holds, and that each idle SSE connection (the endpoint in process,
/// on a <c>DefaultHttpContext</c>) adds; and the bytes allocated per idle subscriber per heartbeat interval.
/// Run with: dotnet run -c Release --project benchmarks/StreamingCore.Benchmarks -- idle   (--quick: 1,000 of each)
/// </summary>
internal static class IdleMemoryReport
{
    private const int Count = 100_000;
    private const int Intervals = 3;
    private static readonly TimeSpan HeartbeatInterval = TimeSpan.FromSeconds(2);

    public static async Task<int> RunAsync(TextWriter output, bool quick)
    {
        int count = quick ? 1_000 : int.TryParse(Environment.GetEnvironmentVariable("IDLE_COUNT"), out int n) ? n : Count;
        CultureInfo inv = CultureInfo.InvariantCulture;
        output.WriteLine("| measure | value |");
        output.WriteLine("|---|---|");

        // 1. Idle subscriptions: each consumer awaits the next response of its own conversation.
        using (var store = new DefaultChatStreamingStore(new ChatStreamingOptions { MaxWaitingSubscribers = count }))
        {
            using var stop = new CancellationTokenSource();
            long before = Heap();
            long allocatedBefore = GC.GetTotalAllocatedBytes(precise: true);
            var consumers = new Task[count];
            for (int i = 0; i < count; i++)
            {
                consumers[i] = ConsumeAsync(store, $"idle-{i}", stop.Token);
            }

            long held = Heap() - before;
            long allocated = GC.GetTotalAllocatedBytes(precise: true) - allocatedBefore;
            Check(store.WaitingSubscriberCount == count, $"{store.WaitingSubscriberCount} subscriptions wait, not {count}");
            output.WriteLine(string.Create(inv, $"| idle subscriptions (each a consumer task awaiting SubscribeAsync on its own conversation, TimeProvider.System) | {count:N0} |"));
            output.WriteLine(string.Create(inv, $"| heap held per idle subscription (conversation, subscription, queue, parked reader, the consumer's state machine, token registration) | {(double)held / count:N0} B |"));
            output.WriteLine(string.Create(inv, $"| bytes allocated per idle subscription to set it up | {(double)allocated / count:N0} B |"));

            // Nothing happens while they wait: the store has no per-subscriber timer tick or poll (the wait timer fires once).
            allocatedBefore = GC.GetTotalAllocatedBytes(precise: true);
            await Task.Delay(TimeSpan.FromSeconds(quick ? 0.2 : 2));
            allocated = GC.GetTotalAllocatedBytes(precise: true) - allocatedBefore;
            output.WriteLine(string.Create(inv, $"| bytes allocated per idle subscription while {(quick ? 0.2 : 2)} s pass | {(double)allocated / count:N2} B |"));

            stop.Cancel();
            await Task.WhenAll(consumers);
        }

        // 1b. The baseline: as many consumer tasks awaiting a raw unbounded channel each (ReadAllAsync with a cancellable token).
        {
            using var stop = new CancellationTokenSource();
            var channels = new Channel<ChatStreamingEvent>[count];
            long before = Heap();
            var consumers = new Task[count];
            for (int i = 0; i < count; i++)
            {
                channels[i] = Channel.CreateUnbounded<ChatStreamingEvent>(new UnboundedChannelOptions { SingleReader = true, SingleWriter = true });
                consumers[i] = ConsumeAsync(channels[i], stop.Token);
            }

            long held = Heap() - before;
            output.WriteLine(string.Create(inv, $"| baseline: heap held per consumer task awaiting its own unbounded Channel<T> (ReadAllAsync, cancellable token) | {(double)held / count:N0} B |"));
            stop.Cancel();
            await Task.WhenAll(consumers);
            GC.KeepAlive(channels);
        }

        // 2. Retained conversations: one finished response each (Started, one delta, Finished), kept for replay.
        using (var store = new DefaultChatStreamingStore(new ChatStreamingOptions { MaxRetainedBytes = long.MaxValue }))
        {
            long before = Heap();
            for (int i = 0; i < count; i++)
            {
                string id = $"retained-{i}";
                store.Publish(ChatStreamingEvent.Started(id));
                store.Publish(ChatStreamingEvent.Delta(id, "Hello!"));
                store.Publish(ChatStreamingEvent.Finished(id));
            }

            long held = Heap() - before;
            Check(store.ConversationCount == count, $"{store.ConversationCount} conversations are retained, not {count}");
            output.WriteLine(string.Create(inv, $"| heap held per retained conversation (one finished response of 3 events, its retention timer, the conversation id) | {(double)held / count:N0} B |"));
        }

        // 3. Idle SSE connections: the endpoint waits on each conversation, writing a heartbeat every interval. On the
        // system clock: FakeTimeProvider keeps its timers in a list, which is quadratic at 100,000 timers.
        await using (ServiceProvider services = new ServiceCollection()
            .AddSingleton<IChatStreamingStore>(new DefaultChatStreamingStore(new ChatStreamingOptions { MaxWaitingSubscribers = count }))
            .Configure<ChatStreamingHttpOptions>(o => o.HeartbeatInterval = HeartbeatInterval)
            .BuildServiceProvider())
        {
            var store = (DefaultChatStreamingStore)services.GetRequiredService<IChatStreamingStore>();
            var body = new SharedCountingStream();
            using var clientsLeave = new CancellationTokenSource();
            var contexts = new HttpContext[count];
            for (int i = 0; i < count; i++)
            {
                contexts[i] = new DefaultHttpContext { RequestServices = services, RequestAborted = clientsLeave.Token };
                contexts[i].Response.Body = body;
            }

            long before = Heap();
            var responses = new Task[count];
            for (int i = 0; i < count; i++)
            {
                responses[i] = ChatStreamingResults.Events($"sse-{i}").ExecuteAsync(contexts[i]);
            }

            // Each connection sends its headers with its first heartbeat when nothing is streaming: two writes, the retry:
            // line and the heartbeat. Waiting for all of them keeps the starts (hundreds of bytes each) out of the
            // per-heartbeat measure below; waiting for one write per connection let half the starts fall into it.
            await WaitForAsync(body, 2L * count);
            long held = Heap() - before;
            Check(store.WaitingSubscriberCount == count, $"{store.WaitingSubscriberCount} subscriptions wait, not {count}");

            long writesBefore = body.Writes;
            long allocatedBefore = GC.GetTotalAllocatedBytes(precise: true);
            await WaitForAsync(body, writesBefore + (Intervals * (long)count));
            long heartbeats = body.Writes - writesBefore;
            long allocated = GC.GetTotalAllocatedBytes(precise: true) - allocatedBefore;
            output.WriteLine(string.Create(inv, $"| idle SSE connections (the endpoint in process, a DefaultHttpContext each, TimeProvider.System, heartbeat every {HeartbeatInterval.TotalSeconds:N0} s) | {count:N0} |"));
            output.WriteLine(string.Create(inv, $"| heap held per idle SSE connection by the endpoint and the store (the HttpContext excluded) | {(double)held / count:N0} B |"));
            output.WriteLine(string.Create(inv, $"| bytes allocated per idle SSE connection per heartbeat interval ({heartbeats:N0} heartbeats) | {(double)allocated / heartbeats:N0} B |"));

            clientsLeave.Cancel();
            await Task.WhenAll(responses);
        }

        return 0;
    }

    private static async Task ConsumeAsync(DefaultChatStreamingStore store, string conversationId, CancellationToken cancellationToken)
    {
        try
        {
            await foreach (ChatStreamingEvent e in store.SubscribeAsync(conversationId, cancellationToken: cancellationToken).ConfigureAwait(false))
            {
                _ = e;
            }
        }
        catch (OperationCanceledException)
        {
        }
    }

    private static async Task ConsumeAsync(Channel<ChatStreamingEvent> channel, CancellationToken cancellationToken)
    {
        try
        {
            await foreach (ChatStreamingEvent e in channel.Reader.ReadAllAsync(cancellationToken).ConfigureAwait(false))
            {
                _ = e;
            }
        }
        catch (OperationCanceledException)
        {
        }
    }

    // Waits until the connections wrote this many heartbeats (one write each).
    private static async Task WaitForAsync(SharedCountingStream body, long writes)
    {
        DateTime deadline = DateTime.UtcNow.AddMinutes(2);
        while (body.Writes < writes)
        {
            Check(DateTime.UtcNow < deadline, $"only {body.Writes} of {writes} heartbeats were written");
            await Task.Delay(10);
        }
    }

    private static void Check(bool condition, string what)
    {
        if (!condition)
        {
            throw new InvalidOperationException($"The idle report is invalid: {what}.");
        }
    }

    private static long Heap()
    {
        GC.Collect();
        GC.WaitForPendingFinalizers();
        GC.Collect();
        return GC.GetTotalMemory(forceFullCollection: true);
    }

    /// <summary>One response body for every connection: counts the heartbeat writes (thread-safe) and discards the bytes.</summary>
    private sealed class SharedCountingStream : Stream
    {
        private long _writes;

        public long Writes => Interlocked.Read(ref _writes);

        public override bool CanRead => false;

        public override bool CanSeek => false;

        public override bool CanWrite => true;

        public override long Length => throw new NotSupportedException();

        public override long Position
        {
            get => throw new NotSupportedException();
            set => throw new NotSupportedException();
        }

        public override void Write(byte[] buffer, int offset, int count) => Interlocked.Increment(ref _writes);

        public override ValueTask WriteAsync(ReadOnlyMemory<byte> buffer, CancellationToken cancellationToken = default)
        {
            Interlocked.Increment(ref _writes);
            return ValueTask.CompletedTask;
        }

        public override Task WriteAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken)
        {
            Interlocked.Increment(ref _writes);
            return Task.CompletedTask;
        }

        public override void Flush()
        {
        }

        public override Task FlushAsync(CancellationToken cancellationToken) => Task.CompletedTask;

        public override int Read(byte[] buffer, int offset, int count) => throw new NotSupportedException();

        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

        public override void SetLength(long value) => throw new NotSupportedException();
    }
}
