using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Sockets;

namespace StreamingCore.Benchmarks.Infrastructure;

/// <summary>
/// The client side of <see cref="SseClientsReport"/>, in a process of its own so that the server's memory and CPU are
/// measured alone: holds SSE connections to the server and counts what arrives on each. Driven by one command per line on
/// stdin, answering each with one line on stdout; ends when stdin closes.
/// </summary>
/// <remarks>
/// <list type="bullet">
/// <item><c>open N</c> → <c>opened OK FAILED</c>: N more connections, to conversations <c>idle-{i}</c>, each counted once its response headers arrived.</item>
/// <item><c>heartbeats MS</c> → <c>heartbeats MIN_COUNT ALIVE GAP_P50 GAP_P99 GAP_MAX WITHIN WINDOW_MS CPU_MS</c>: counts heartbeat
/// comments for MS milliseconds; a connection's gap is the longest time in the window it went without one (ms, from the window's start to its end); WITHIN is
/// how many connections had no gap over 1.5 × the interval; WINDOW_MS how long the window really lasted; CPU_MS this process's CPU time in it.</item>
/// <item><c>live M E MS</c> → <c>armed</c>, then <c>delivered COMPLETE EVENTS ELAPSED_MS</c>: waits (at most MS) until the first M connections
/// each received E more events.</item>
/// </list>
/// </remarks>
internal static class SseLoadClients
{
    // Connects in flight at once: well under Kestrel's accept backlog (512), so no SYN is dropped and retried a second later.
    private const int ConcurrentConnects = 64;

    /// <summary>The command line's first argument that runs this instead of the benchmarks.</summary>
    public const string Command = "sse-clients-load";

    public static async Task<int> RunAsync(Uri server, TimeSpan heartbeatInterval)
    {
        using var connects = new SemaphoreSlim(ConcurrentConnects);
        using var handler = new SocketsHttpHandler
        {
            MaxConnectionsPerServer = int.MaxValue,
            PooledConnectionLifetime = Timeout.InfiniteTimeSpan,
            ConnectCallback = async (context, cancellationToken) =>
            {
                await connects.WaitAsync(cancellationToken);
                var socket = new Socket(SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
                try
                {
                    await socket.ConnectAsync(context.DnsEndPoint, cancellationToken);
                    return new NetworkStream(socket, ownsSocket: true);
                }
                catch
                {
                    socket.Dispose();
                    throw;
                }
                finally
                {
                    connects.Release();
                }
            },
        };
        using var client = new HttpClient(handler) { BaseAddress = server, Timeout = Timeout.InfiniteTimeSpan };
        using var stop = new CancellationTokenSource();
        var connections = new List<Connection>();
        var readers = new List<Task>();

        while (Console.ReadLine() is { } line)
        {
            string[] command = line.Split(' ');
            switch (command[0])
            {
                case "open":
                    int count = Int(command[1]);
                    Connection[] opening = Enumerable.Range(connections.Count, count).Select(i => new Connection($"idle-{i}")).ToArray();
                    Task<bool>[] opened = opening.Select(c => c.OpenAsync(client, stop.Token)).ToArray();
                    bool[] results = await Task.WhenAll(opened);
                    connections.AddRange(opening);
                    readers.AddRange(opening.Where(c => c.IsOpen).Select(c => c.ReadAsync(stop.Token)));
                    Answer($"opened {results.Count(ok => ok)} {results.Count(ok => !ok)}");
                    break;

                case "heartbeats":
                    Answer(await CountHeartbeatsAsync(connections, TimeSpan.FromMilliseconds(Int(command[1])), heartbeatInterval));
                    break;

                case "live":
                    Connection[] live = connections.Take(Int(command[1])).ToArray();
                    int events = Int(command[2]);
                    foreach (Connection c in live)
                    {
                        c.ResetEvents();
                    }

                    var elapsed = Stopwatch.StartNew();
                    Answer("armed");
                    var timeout = TimeSpan.FromMilliseconds(Int(command[3]));
                    while (live.Any(c => c.Events < events) && elapsed.Elapsed < timeout)
                    {
                        await Task.Delay(2);
                    }

                    Answer(string.Create(CultureInfo.InvariantCulture, $"delivered {live.Count(c => c.Events >= events)} {live.Sum(c => (long)c.Events)} {elapsed.Elapsed.TotalMilliseconds:F0}"));
                    break;

                default:
                    throw new InvalidOperationException($"Unknown command '{line}'.");
            }
        }

        await stop.CancelAsync();
        await Task.WhenAll(readers);
        return 0;
    }

    private static async Task<string> CountHeartbeatsAsync(List<Connection> connections, TimeSpan window, TimeSpan interval)
    {
        using var self = Process.GetCurrentProcess();
        TimeSpan cpu = self.TotalProcessorTime;
        long start = Stopwatch.GetTimestamp();
        foreach (Connection c in connections)
        {
            c.ResetHeartbeats();
        }

        await Task.Delay(window);
        long end = Stopwatch.GetTimestamp();
        self.Refresh();
        cpu = self.TotalProcessorTime - cpu;
        double[] gaps = connections.Where(c => c.IsOpen).Select(c => c.LongestHeartbeatGap(end).TotalMilliseconds).Order().ToArray();
        int minCount = connections.Count == 0 ? 0 : connections.Min(c => c.Heartbeats);
        int within = gaps.Count(g => g <= 1.5 * interval.TotalMilliseconds);
        return string.Create(
            CultureInfo.InvariantCulture,
            $"heartbeats {minCount} {gaps.Length} {Percentile(gaps, 0.50):F0} {Percentile(gaps, 0.99):F0} {Percentile(gaps, 1.0):F0} {within} {Stopwatch.GetElapsedTime(start, end).TotalMilliseconds:F0} {cpu.TotalMilliseconds:F0}");
    }

    private static double Percentile(double[] sorted, double p) => sorted.Length == 0 ? 0 : sorted[(int)Math.Ceiling(p * sorted.Length) - 1];

    private static int Int(string value) => int.Parse(value, CultureInfo.InvariantCulture);

    private static void Answer(string line)
    {
        Console.WriteLine(line);
        Console.Out.Flush();
    }

    /// <summary>One SSE connection: counts heartbeat comments (lines that begin with ':') and events (lines that begin with "event:").</summary>
    private sealed class Connection(string conversationId)
    {
        private Stream? _body;
        private int _heartbeats;
        private int _events;
        private long _lastHeartbeat;
        private long _maxGap;

        public bool IsOpen => _body is not null;

        public int Heartbeats => Volatile.Read(ref _heartbeats);

        public int Events => Volatile.Read(ref _events);

        /// <summary>The longest time without a heartbeat since <see cref="ResetHeartbeats"/>, including the time before the first and since the last one.</summary>
        public TimeSpan LongestHeartbeatGap(long now)
            => TimeSpan.FromTicks(Math.Max(Volatile.Read(ref _maxGap), Stopwatch.GetElapsedTime(Volatile.Read(ref _lastHeartbeat), now).Ticks));

        public async Task<bool> OpenAsync(HttpClient client, CancellationToken cancellationToken)
        {
            try
            {
                HttpResponseMessage response = await client.GetAsync($"/chat/{conversationId}/events", HttpCompletionOption.ResponseHeadersRead, cancellationToken);
                if (response.StatusCode != HttpStatusCode.OK)
                {
                    response.Dispose();
                    return false;
                }

                _body = await response.Content.ReadAsStreamAsync(cancellationToken);
                Volatile.Write(ref _lastHeartbeat, Stopwatch.GetTimestamp());
                return true;
            }
            catch (HttpRequestException)
            {
                return false;
            }
        }

        /// <summary>Starts a window: the gaps measured from now on begin no earlier than now.</summary>
        public void ResetHeartbeats()
        {
            Volatile.Write(ref _lastHeartbeat, Stopwatch.GetTimestamp());
            Volatile.Write(ref _heartbeats, 0);
            Volatile.Write(ref _maxGap, 0);
        }

        public void ResetEvents() => Volatile.Write(ref _events, 0);

        public async Task ReadAsync(CancellationToken cancellationToken)
        {
            Stream body = _body!;
            byte[] buffer = new byte[512];
            bool lineStart = true;
            try
            {
                int read;
                while ((read = await body.ReadAsync(buffer, cancellationToken)) > 0)
                {
                    foreach (byte b in buffer.AsSpan(0, read))
                    {
                        if (lineStart && b == (byte)':')
                        {
                            OnHeartbeat();
                        }
                        else if (lineStart && b == (byte)'e')
                        {
                            Interlocked.Increment(ref _events);
                        }

                        lineStart = b == (byte)'\n';
                    }
                }
            }
            catch (Exception ex) when (ex is OperationCanceledException or IOException or HttpRequestException)
            {
                // Stopped, or the server went away.
            }
            finally
            {
                _body = null;
                await body.DisposeAsync();
            }
        }

        private void OnHeartbeat()
        {
            long now = Stopwatch.GetTimestamp();
            long gap = Stopwatch.GetElapsedTime(Volatile.Read(ref _lastHeartbeat), now).Ticks;
            Volatile.Write(ref _lastHeartbeat, now);
            Volatile.Write(ref _maxGap, Math.Max(gap, Volatile.Read(ref _maxGap)));
            Interlocked.Increment(ref _heartbeats);
        }
    }
}
