using System.Diagnostics;
using System.Globalization;
using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using StreamingCore.AspNetCore;

namespace StreamingCore.Benchmarks.Infrastructure;

/// <summary>
/// How many idle SSE clients one instance holds with heartbeats, measured on a real Kestrel on 127.0.0.1: N connections,
/// each to its own conversation that is not streaming, raised in steps. Per step: the connections the server holds, its
/// managed heap and working set per connection, whether every client saw its heartbeats, the server's CPU time per
/// heartbeat round, and a live round (one response to each of M conversations while all N are connected).
/// The clients run in a child process (<see cref="SseLoadClients"/>) so that only the server is measured.
/// Run with: dotnet run -c Release --project benchmarks/StreamingCore.Benchmarks -- sse-clients [--quick]
/// </summary>
internal static class SseClientsReport
{
    private const string Route = "/chat/{conversationId}/events";
    private const int HeartbeatRounds = 3;

    // File descriptors a process needs besides its connections (runtime, Kestrel, pipes), with room to spare.
    private const int ReservedFileDescriptors = 500;

    private static readonly TimeSpan HeartbeatInterval = TimeSpan.FromSeconds(1);
    private static readonly TimeSpan CommandTimeout = TimeSpan.FromMinutes(2);

    public static async Task<int> RunAsync(TextWriter output, bool quick)
    {
        int[] requested = quick ? [200] : [1_000, 5_000, 10_000, 15_000, 19_000];
        int liveConversations = quick ? 50 : 1_000;
        int liveDeltas = quick ? 20 : 100;

        // Each connection is one descriptor in the server and one in the client process; both inherit this limit.
        int openFiles = OpenFileLimit();
        int[] steps = requested.Where(n => n + ReservedFileDescriptors <= openFiles).ToArray();
        CultureInfo inv = CultureInfo.InvariantCulture;
        string skipped = steps.Length < requested.Length ? $" (too few for {string.Join(", ", requested.Except(steps))} clients)" : string.Empty;
        output.WriteLine(string.Create(inv, $"Heartbeat interval {HeartbeatInterval.TotalSeconds:F0} s; open files limit {openFiles:N0}{skipped}; {Environment.ProcessorCount} cores; GC: {(System.Runtime.GCSettings.IsServerGC ? "server" : "workstation")}."));
        if (steps.Length == 0)
        {
            output.WriteLine(string.Create(inv, $"The open files limit ({openFiles:N0}) leaves no room for {requested[0]:N0} connections; raise it (ulimit -n)."));
            return 1;
        }

        output.WriteLine(string.Create(inv, $"Live round: one response of {liveDeltas} deltas to each of the first {liveConversations:N0} conversations at once."));

        WebApplication app = await StartServerAsync();
        await using (app.ConfigureAwait(false))
        {
            var store = app.Services.GetRequiredService<DefaultChatStreamingStore>();
            using LoadClients clients = LoadClients.Start(new Uri(app.Urls.First()));
            using var self = Process.GetCurrentProcess();

            long heap0 = FullCollectionHeap();
            long workingSet0 = WorkingSet(self);
            long previousHeap = heap0;
            int previousConnections = 0;
            bool failed = false;
            var holding = new List<string>();
            var traffic = new List<string>();
            output.WriteLine(string.Create(inv, $"Load average before: {LoadAverage()}"));

            // The server's own CPU time with no client, per interval: the same-run baseline of the heartbeat rounds.
            (TimeSpan idleUser, TimeSpan idleKernel) = Cpu(self);
            await Task.Delay(HeartbeatRounds * HeartbeatInterval);
            (TimeSpan idleUserAfter, TimeSpan idleKernelAfter) = Cpu(self);
            TimeSpan idleCpu = (idleUserAfter - idleUser + (idleKernelAfter - idleKernel)) / HeartbeatRounds;
            output.WriteLine(string.Create(inv, $"Server CPU per interval with no client: {idleCpu.TotalMilliseconds:F0} ms."));
            TimeSpan previousServerCpu = idleCpu;
            foreach (int connections in steps)
            {
                var connecting = Stopwatch.StartNew();
                string[] opened = await clients.AskAsync($"open {connections - previousConnections}");
                connecting.Stop();
                if (int.Parse(opened[2], inv) > 0)
                {
                    output.WriteLine(string.Create(inv, $"{opened[2]} of {connections - previousConnections} connections failed; stopping."));
                    failed = true;
                    break;
                }

                int held = store.SubscriberCount;
                long heap = FullCollectionHeap();
                long workingSet = WorkingSet(self);
                holding.Add(string.Create(inv,
                    $"| {connections:N0} | {held:N0} | {connecting.Elapsed.TotalSeconds:F1} s | {(heap - heap0) / connections:N0} B | {(heap - previousHeap) / (connections - previousConnections):N0} B " +
                    $"| {(workingSet - workingSet0) / connections:N0} B | {self.Threads.Count} |"));

                if (previousConnections == 0)
                {
                    // Warm-up, not reported: the first heartbeats and events JIT-compile their paths and tier them up.
                    await clients.AskAsync(string.Create(inv, $"heartbeats {2 * HeartbeatInterval.TotalMilliseconds:F0}"));
                    await LiveRoundAsync(clients, store, self, Math.Min(liveConversations, connections), liveDeltas);
                }

                // The full collections above paused the server and delayed heartbeats: let two intervals pass before counting.
                await Task.Delay(2 * HeartbeatInterval);

                // Heartbeat rounds: the clients count for three intervals while the server's CPU time and thread-pool queue are sampled.
                (TimeSpan user, TimeSpan kernel) = Cpu(self);
                using var sampling = new CancellationTokenSource();
                Task<long> queue = MaxThreadPoolQueueAsync(sampling.Token);
                string[] beats = await clients.AskAsync(string.Create(inv, $"heartbeats {HeartbeatRounds * HeartbeatInterval.TotalMilliseconds:F0}"));
                await sampling.CancelAsync();
                long maxQueue = await queue;
                (TimeSpan userAfter, TimeSpan kernelAfter) = Cpu(self);
                TimeSpan serverCpu = (userAfter - user + (kernelAfter - kernel)) / HeartbeatRounds;
                TimeSpan serverKernel = (kernelAfter - kernel) / HeartbeatRounds;
                double clientCpu = double.Parse(beats[8], inv) / HeartbeatRounds;

                // The live round: one response to each of the first conversations, published at once.
                int live = Math.Min(liveConversations, connections);
                (string[] delivered, TimeSpan liveCpu) = await LiveRoundAsync(clients, store, self, live, liveDeltas);
                long events = long.Parse(delivered[2], inv);

                traffic.Add(string.Create(inv,
                    $"| {connections:N0} | {beats[7]} ms | {beats[1]} | {beats[3]} / {beats[4]} / {beats[5]} ms | {beats[6]} of {beats[2]} | {maxQueue:N0} " +
                    $"| {serverCpu.TotalMilliseconds:F0} ms ({serverKernel.TotalMilliseconds:F0} kernel) | {(serverCpu - previousServerCpu).TotalMicroseconds / (connections - previousConnections):F1} µs | {clientCpu:F0} ms " +
                    $"| {events:N0} of {(long)live * (liveDeltas + 2):N0} in {delivered[3]} ms | {liveCpu.TotalMicroseconds / Math.Max(events, 1):F1} µs |"));

                previousHeap = heap;
                previousServerCpu = serverCpu;
                previousConnections = connections;
            }

            output.WriteLine(string.Create(inv, $"Load average after: {LoadAverage()}"));
            output.WriteLine();
            output.WriteLine("| clients | held by the server | connect time | heap / client | heap / added client | working set / client | threads |");
            output.WriteLine("|---:|---:|---:|---:|---:|---:|---:|");
            holding.ForEach(output.WriteLine);
            output.WriteLine();
            output.WriteLine(string.Create(inv,
                $"| clients | heartbeat window | heartbeats per client (min) | longest gap per client p50 / p99 / max | clients with no gap over {1.5 * HeartbeatInterval.TotalSeconds} s | server thread-pool queue (max) | server CPU per heartbeat round | server CPU per round / added client | client process CPU per round | live round: events delivered | live: server CPU per event |"));
            output.WriteLine("|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|");
            traffic.ForEach(output.WriteLine);
            return failed ? 1 : 0;
        }
    }

    private static async Task<WebApplication> StartServerAsync()
    {
        WebApplicationBuilder builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.Services.AddChatStreaming();
        builder.Services.Configure<ChatStreamingHttpOptions>(o => o.HeartbeatInterval = HeartbeatInterval);
        WebApplication app = builder.Build();
        app.Urls.Add("http://127.0.0.1:0");
        app.MapChatStreamingEvents(Route);
        await app.StartAsync();
        return app;
    }

    /// <summary>Publishes one response to each of the first <paramref name="conversations"/> and waits until their clients have every event; the clients' answer and the server's CPU time.</summary>
    private static async Task<(string[] Delivered, TimeSpan ServerCpu)> LiveRoundAsync(LoadClients clients, IChatStreamingStore store, Process self, int conversations, int deltas)
    {
        await clients.AskAsync(string.Create(CultureInfo.InvariantCulture, $"live {conversations} {deltas + 2} {(int)CommandTimeout.TotalMilliseconds / 2}"));
        (TimeSpan user, TimeSpan kernel) = Cpu(self);
        Publish(store, conversations, deltas);
        string[] delivered = await clients.ReadAnswerAsync();
        (TimeSpan userAfter, TimeSpan kernelAfter) = Cpu(self);
        return (delivered, userAfter - user + (kernelAfter - kernel));
    }

    /// <summary>One response to each of the first <paramref name="conversations"/> conversations, all at once from one thread.</summary>
    private static void Publish(IChatStreamingStore store, int conversations, int deltas)
    {
        for (int c = 0; c < conversations; c++)
        {
            store.Publish(ChatStreamingEvent.Started($"idle-{c}"));
        }

        for (int d = 0; d < deltas; d++)
        {
            for (int c = 0; c < conversations; c++)
            {
                store.Publish(ChatStreamingEvent.Delta($"idle-{c}", "tok"));
            }
        }

        for (int c = 0; c < conversations; c++)
        {
            store.Publish(ChatStreamingEvent.Finished($"idle-{c}"));
        }
    }

    /// <summary>The longest thread-pool queue seen, sampled every 20 ms until cancelled: work the server could not start at once.</summary>
    private static async Task<long> MaxThreadPoolQueueAsync(CancellationToken cancellationToken)
    {
        long max = 0;
        using var timer = new PeriodicTimer(TimeSpan.FromMilliseconds(20));
        try
        {
            while (await timer.WaitForNextTickAsync(cancellationToken))
            {
                max = Math.Max(max, ThreadPool.PendingWorkItemCount);
            }
        }
        catch (OperationCanceledException)
        {
            // The window is over.
        }

        return max;
    }

    private static (TimeSpan User, TimeSpan Kernel) Cpu(Process process)
    {
        process.Refresh();
        return (process.UserProcessorTime, process.PrivilegedProcessorTime);
    }

    /// <summary>The machine's load averages over 1, 5 and 15 minutes (/proc/loadavg): how busy the shared cores were.</summary>
    private static string LoadAverage()
        => File.Exists("/proc/loadavg") ? string.Join(" / ", File.ReadAllText("/proc/loadavg").Split(' ').Take(3)) : "unknown";

    private static long FullCollectionHeap()
    {
        GC.Collect();
        GC.WaitForPendingFinalizers();
        GC.Collect();
        return GC.GetTotalMemory(forceFullCollection: true);
    }

    private static long WorkingSet(Process process)
    {
        process.Refresh();
        return process.WorkingSet64;
    }

    /// <summary>The soft limit on open files (<c>ulimit -n</c>) from /proc/self/limits; int.MaxValue where there is none to read.</summary>
    private static int OpenFileLimit()
    {
        const string limits = "/proc/self/limits";
        string? line = File.Exists(limits) ? File.ReadLines(limits).FirstOrDefault(l => l.StartsWith("Max open files", StringComparison.Ordinal)) : null;
        string[] fields = line?.Split(' ', StringSplitOptions.RemoveEmptyEntries) ?? [];
        return fields.Length > 3 && int.TryParse(fields[3], CultureInfo.InvariantCulture, out int soft) ? soft : int.MaxValue;
    }

    /// <summary>The child process that holds the client connections; it ends when its stdin closes.</summary>
    private sealed class LoadClients : IDisposable
    {
        private readonly Process _process;

        private LoadClients(Process process) => _process = process;

        public static LoadClients Start(Uri server)
        {
            var start = new ProcessStartInfo(Environment.ProcessPath!)
            {
                RedirectStandardInput = true,
                RedirectStandardOutput = true,
                UseShellExecute = false,
            };

            // Run as an app host (dotnet run) or as "dotnet StreamingCore.Benchmarks.dll".
            if (Path.GetFileNameWithoutExtension(start.FileName) == "dotnet")
            {
                start.ArgumentList.Add(typeof(SseClientsReport).Assembly.Location);
            }

            start.ArgumentList.Add(SseLoadClients.Command);
            start.ArgumentList.Add(server.ToString());
            start.ArgumentList.Add(HeartbeatInterval.TotalMilliseconds.ToString(CultureInfo.InvariantCulture));
            return new LoadClients(Process.Start(start)!);
        }

        public async Task<string[]> AskAsync(string command)
        {
            await _process.StandardInput.WriteLineAsync(command);
            await _process.StandardInput.FlushAsync();
            return await ReadAnswerAsync();
        }

        public async Task<string[]> ReadAnswerAsync()
        {
            string? answer = await _process.StandardOutput.ReadLineAsync().WaitAsync(CommandTimeout);
            return answer?.Split(' ') ?? throw new InvalidOperationException($"The client process ended (exit code {(_process.HasExited ? _process.ExitCode : -1)}).");
        }

        public void Dispose()
        {
            _process.StandardInput.Close();
            if (!_process.WaitForExit(TimeSpan.FromSeconds(30)))
            {
                _process.Kill(entireProcessTree: true);
            }

            _process.Dispose();
        }
    }
}
