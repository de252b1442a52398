using System.Diagnostics;
using System.Globalization;
using System.Net.Sockets;
using StackExchange.Redis;

namespace StreamingCore.Redis.Tests.Infrastructure;

/// <summary>
/// A real redis-server (Debian's package) that the test run starts as a child process on 127.0.0.1 and a free port, with
/// persistence off (<c>--save "" --appendonly no</c>) and its own temporary working folder. Fault tests kill it with
/// <see cref="StopAsync"/> (SIGKILL, like a crash) and bring it back on the same port with <see cref="StartAsync"/>, so
/// that clients already pointed at it reconnect. Disposing kills it and deletes its folder.
/// </summary>
public sealed class RedisServer : IAsyncDisposable
{
    /// <summary>How long a start may take before it fails: generous for a loaded CI machine, still far below the test backstop.</summary>
    private static readonly TimeSpan StartTimeout = TimeSpan.FromSeconds(20);

    /// <summary>How many times a new server picks another port after losing the race for the one it picked.</summary>
    private const int PortAttempts = 5;

    private const int OutputLines = 40;

    private readonly bool _clusterNode;
    private readonly Queue<string> _output = new();
    private Process? _process;
    private TaskCompletionSource _ready = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private TaskCompletionSource _exited = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private bool _disposed;

    private RedisServer(int port, int? clusterBusPort, string workingDirectory)
    {
        Port = port;
        ClusterBusPort = clusterBusPort;
        _clusterNode = clusterBusPort is not null;
        WorkingDirectory = workingDirectory;
    }

    /// <summary>The loopback port the server listens on; it stays the same across <see cref="StopAsync"/> and <see cref="StartAsync"/>.</summary>
    public int Port { get; }

    /// <summary>The endpoint, <c>127.0.0.1:port</c>.</summary>
    public string EndPoint => $"127.0.0.1:{Port.ToString(CultureInfo.InvariantCulture)}";

    /// <summary>
    /// A StackExchange.Redis configuration string for this server. <c>abortConnect=false</c> so that a multiplexer survives
    /// the server being down (the fault tests rely on it reconnecting on its own), and a short connect timeout so that an
    /// outage shows quickly.
    /// </summary>
    public string ConnectionString => $"{EndPoint},abortConnect=false,connectTimeout=2000";

    /// <summary>The server's temporary working folder (deleted on dispose).</summary>
    public string WorkingDirectory { get; }

    /// <summary>Whether the redis-server process is running (started and not stopped or crashed).</summary>
    public bool IsRunning => _process is { HasExited: false };

    /// <summary>The running process's id, or null when stopped.</summary>
    public int? ProcessId => IsRunning ? _process!.Id : null;

    /// <summary>The cluster bus port of a cluster node (set explicitly: port + 10000 is often past 65535 for an OS-picked port).</summary>
    internal int? ClusterBusPort { get; }

    /// <summary>Whether the server keeps its data in an append-only file (<see cref="StartPersistentAsync"/>); persistence is off otherwise.</summary>
    public bool Persistent { get; private init; }

    /// <summary>Set by <see cref="SharedRedis"/>: a shared server refuses to be stopped, flushed or disposed by a test.</summary>
    internal bool IsShared { get; set; }

    /// <summary>
    /// Starts a new server on a free loopback port and returns once it answers PING. Fails with a message naming
    /// <c>.ci/run</c> when redis-server is not installed.
    /// </summary>
    public static Task<RedisServer> StartNewAsync(CancellationToken cancellationToken = default) =>
        StartNewAsync(clusterNode: false, cancellationToken);

    /// <summary>
    /// Starts a new server that keeps its data across <see cref="StopAsync"/> and <see cref="StartAsync"/>: an append-only
    /// file synced on every write (<c>--appendonly yes --appendfsync always</c>), as a production Redis that is restarted.
    /// </summary>
    public static Task<RedisServer> StartPersistentAsync(CancellationToken cancellationToken = default) =>
        StartNewAsync(clusterNode: false, cancellationToken, persistent: true);

    /// <summary>Starts a plain server or, for <see cref="RedisCluster"/>, a cluster-enabled node that is in no cluster yet.</summary>
    internal static async Task<RedisServer> StartNewAsync(bool clusterNode, CancellationToken cancellationToken, bool persistent = false)
    {
        for (int attempt = 1; ; attempt++)
        {
            int[] ports = FreePorts.Pick(clusterNode ? 2 : 1);
            var server = new RedisServer(ports[0], clusterNode ? ports[1] : null, RedisProcessReaper.CreateWorkingDirectory()) { Persistent = persistent };
            try
            {
                await server.LaunchAsync(cancellationToken);
                return server;
            }
            catch (PortTakenException) when (attempt < PortAttempts)
            {
                // Another process bound the port between our pick and redis-server's bind: pick again.
                await server.DisposeCoreAsync();
            }
            catch
            {
                await server.DisposeCoreAsync();
                throw;
            }
        }
    }

    /// <summary>
    /// Kills the server with SIGKILL (no shutdown, no save: a crash or an outage) and waits for it to exit. Clients see
    /// their connections drop. Does nothing when it is not running.
    /// </summary>
    public async Task StopAsync()
    {
        ThrowIfShared(nameof(StopAsync));
        await KillAsync();
    }

    /// <summary>
    /// Starts the stopped server again on the same port (a multiplexer pointed at it reconnects) and returns once it answers
    /// PING. Its data is gone (persistence is off); a cluster node keeps its cluster config (nodes.conf) and rejoins.
    /// </summary>
    /// <exception cref="InvalidOperationException">It is running, or the port was taken while it was down.</exception>
    public async Task StartAsync(CancellationToken cancellationToken = default)
    {
        ThrowIfShared(nameof(StartAsync));
        ObjectDisposedException.ThrowIf(_disposed, this);
        if (IsRunning)
        {
            throw new InvalidOperationException($"The redis-server on {EndPoint} is already running.");
        }

        try
        {
            await LaunchAsync(cancellationToken);
        }
        catch (PortTakenException e)
        {
            // Clients point at this port, so moving to another one would defeat the restart.
            throw new InvalidOperationException($"Could not restart redis-server on {EndPoint}: {e.Message}", e);
        }
    }

    /// <summary>Deletes every key in every database (FLUSHALL).</summary>
    public async Task FlushAllAsync(CancellationToken cancellationToken = default)
    {
        ThrowIfShared(nameof(FlushAllAsync));
        await RedisWire.SendAsync(Port, cancellationToken, "FLUSHALL");
    }

    /// <summary>
    /// A multiplexer for this server from <see cref="ConnectionString"/>; <paramref name="configure"/> may adjust the options
    /// (e.g. <c>AllowAdmin</c>, <c>BacklogPolicy</c>). The caller disposes it.
    /// </summary>
    public Task<ConnectionMultiplexer> ConnectAsync(Action<ConfigurationOptions>? configure = null) =>
        ConnectionMultiplexer.ConnectAsync(ConnectionString, configure ?? (_ => { }));

    /// <summary>Kills the server and deletes its working folder.</summary>
    public async ValueTask DisposeAsync()
    {
        ThrowIfShared(nameof(DisposeAsync));
        await DisposeCoreAsync();
    }

    /// <inheritdoc/>
    public override string ToString() => $"redis-server {EndPoint}" + (IsRunning ? "" : " (stopped)");

    /// <summary>Disposes a shared server, at the end of the run.</summary>
    internal async ValueTask DisposeSharedAsync()
    {
        IsShared = false;
        await DisposeCoreAsync();
    }

    /// <summary>
    /// The full path of <paramref name="tool"/> on <paramref name="searchPath"/> (PATH when null), or an error telling how to
    /// install it.
    /// </summary>
    internal static string Locate(string tool, string? searchPath = null)
    {
        searchPath ??= Environment.GetEnvironmentVariable("PATH") ?? "";
        foreach (string directory in searchPath.Split(Path.PathSeparator, StringSplitOptions.RemoveEmptyEntries))
        {
            string candidate = Path.Combine(directory, tool);
            if (File.Exists(candidate))
            {
                return candidate;
            }
        }

        throw new InvalidOperationException(
            $"{tool} is not on PATH. The Redis tests start their own servers with Debian's redis-server package; .ci/run installs it "
            + "when it is missing (apt-get install -y redis-server). Install it the same way to run these tests locally.");
    }

    private async ValueTask DisposeCoreAsync()
    {
        if (_disposed)
        {
            return;
        }

        _disposed = true;
        await KillAsync();
        try
        {
            Directory.Delete(WorkingDirectory, recursive: true);
        }
        catch (DirectoryNotFoundException)
        {
        }
    }

    private void ThrowIfShared(string operation)
    {
        if (IsShared)
        {
            throw new InvalidOperationException(
                $"{operation} on the shared {this}: other tests use it. A test that stops, restarts or flushes a server needs its "
                + "own (RedisServer.StartNewAsync or DedicatedRedisServerTests); on the shared one, keep to keys under TestKeyPrefix.Next().");
        }
    }

    private async Task KillAsync()
    {
        Process? process = _process;
        if (process is null)
        {
            return;
        }

        _process = null;
        try
        {
            process.Kill();
        }
        catch (InvalidOperationException)
        {
            // Already exited (crashed, or killed by the test).
        }

        // SIGKILL cannot be ignored, so the exit is prompt; the bound only keeps a wedged kernel from hanging the run.
        using var exit = new CancellationTokenSource(TimeSpan.FromSeconds(10));
        await process.WaitForExitAsync(exit.Token);
        RedisProcessReaper.Untrack(process);
        process.Dispose();
    }

    private async Task LaunchAsync(CancellationToken cancellationToken)
    {
        var start = new ProcessStartInfo(Locate("redis-server"))
        {
            WorkingDirectory = WorkingDirectory,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (string argument in Arguments())
        {
            start.ArgumentList.Add(argument);
        }

        lock (_output)
        {
            _output.Clear();
        }

        _ready = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        _exited = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        TaskCompletionSource ready = _ready, exited = _exited;

        var process = new Process { StartInfo = start, EnableRaisingEvents = true };
        process.OutputDataReceived += (_, e) => Record(e.Data, ready);
        process.ErrorDataReceived += (_, e) => Record(e.Data, ready);
        process.Exited += (_, _) => exited.TrySetResult();
        process.Start();
        RedisProcessReaper.Track(process, WorkingDirectory);
        _process = process;
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();

        try
        {
            await WaitUntilReadyAsync(process, ready.Task, exited.Task, cancellationToken);
        }
        catch
        {
            await KillAsync();
            throw;
        }
    }

    private IEnumerable<string> Arguments()
    {
        string port = Port.ToString(CultureInfo.InvariantCulture);
        string[] arguments =
        [
            "--port", port,
            "--bind", "127.0.0.1",
            // Persistence off: no RDB snapshots, no AOF. A restarted server comes back empty, as after losing its data.
            "--save", "",
            "--appendonly", Persistent ? "yes" : "no",
            "--appendfsync", "always",
            "--protected-mode", "no",
            "--dir", WorkingDirectory,
            // Logs go to stdout, which we read: the "Ready to accept connections" line wakes the readiness loop, and the
            // last lines explain a failed start.
            "--logfile", "",
        ];
        if (!_clusterNode)
        {
            return arguments;
        }

        return
        [
            .. arguments,
            "--cluster-enabled", "yes",
            "--cluster-config-file", Path.Combine(WorkingDirectory, "nodes.conf"),
            "--cluster-node-timeout", "2000",
            "--cluster-port", ClusterBusPort!.Value.ToString(CultureInfo.InvariantCulture),
        ];
    }

    private void Record(string? line, TaskCompletionSource ready)
    {
        if (line is null)
        {
            return;
        }

        lock (_output)
        {
            _output.Enqueue(line);
            if (_output.Count > OutputLines)
            {
                _output.Dequeue();
            }
        }

        if (line.Contains("Ready to accept connections", StringComparison.Ordinal))
        {
            ready.TrySetResult();
        }
    }

    private string Output()
    {
        lock (_output)
        {
            return string.Join('\n', _output);
        }
    }

    /// <summary>
    /// Waits until the server answers PING. Each failed attempt waits for the server's "ready" log line, its exit, or a short
    /// backoff (5 ms doubling to 100 ms), whichever comes first, all bounded by <see cref="StartTimeout"/>. The PING is what
    /// decides: the log line only wakes the loop early, so a redis whose wording differs is merely slower, not broken.
    /// </summary>
    private async Task WaitUntilReadyAsync(Process process, Task ready, Task exited, CancellationToken cancellationToken)
    {
        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        deadline.CancelAfter(StartTimeout);
        var backoff = TimeSpan.FromMilliseconds(5);
        while (true)
        {
            if (exited.IsCompleted)
            {
                // Let the output readers drain so the message shows why it exited.
                await process.WaitForExitAsync(CancellationToken.None);
                string output = Output();
                if (output.Contains("Address already in use", StringComparison.Ordinal))
                {
                    throw new PortTakenException($"port {Port} (or the cluster bus port {ClusterBusPort}) is in use.\n{output}");
                }

                throw new InvalidOperationException(
                    $"redis-server on {EndPoint} exited with code {process.ExitCode} while starting. Its output:\n{output}");
            }

            try
            {
                string? reply = await RedisWire.SendAsync(Port, deadline.Token, "PING");
                // Checked again after the reply: had ours exited, the PONG could come from another server that won the port.
                if (reply == "PONG" && !process.HasExited)
                {
                    return;
                }
            }
            catch (Exception e) when (e is SocketException or IOException && !deadline.IsCancellationRequested)
            {
                // Not listening yet.
            }
            catch (InvalidOperationException e) when (e.Message.Contains("LOADING", StringComparison.Ordinal) && !deadline.IsCancellationRequested)
            {
                // A persistent server answers before it has read its append-only file back: not ready yet.
            }
            catch (OperationCanceledException) when (deadline.IsCancellationRequested && !cancellationToken.IsCancellationRequested)
            {
                throw TimedOut();
            }

            Task wake = ready.IsCompleted
                ? Task.Delay(backoff, deadline.Token)
                : Task.WhenAny(ready, Task.Delay(backoff, deadline.Token));
            await Task.WhenAny(wake, exited);
            cancellationToken.ThrowIfCancellationRequested();
            if (deadline.IsCancellationRequested)
            {
                throw TimedOut();
            }

            backoff = TimeSpan.FromTicks(Math.Min(backoff.Ticks * 2, TimeSpan.FromMilliseconds(100).Ticks));
        }

        TimeoutException TimedOut() =>
            new($"redis-server on {EndPoint} did not answer PING within {StartTimeout.TotalSeconds:0} s. Its output:\n{Output()}");
    }

    /// <summary>The picked port was taken before redis-server could bind it.</summary>
    private sealed class PortTakenException(string message) : Exception(message);
}
