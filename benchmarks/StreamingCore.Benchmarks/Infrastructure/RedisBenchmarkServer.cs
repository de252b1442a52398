using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using StackExchange.Redis;

namespace StreamingCore.Benchmarks.Infrastructure;

/// <summary>
/// A redis-server that a benchmark process starts for itself on 127.0.0.1 and a free port, with persistence off
/// (<c>--save "" --appendonly no</c>), and kills when it is done: the Redis benchmarks never touch a system Redis.
/// </summary>
internal sealed class RedisBenchmarkServer : IDisposable
{
    private const string Executable = "/usr/bin/redis-server";
    private static readonly TimeSpan StartTimeout = TimeSpan.FromSeconds(20);

    private readonly Process _process;
    private readonly string _directory;

    private RedisBenchmarkServer(Process process, int port, string directory)
    {
        _process = process;
        Port = port;
        _directory = directory;
    }

    /// <summary>The loopback port it listens on.</summary>
    public int Port { get; }

    /// <summary>A StackExchange.Redis configuration string for it.</summary>
    public string Configuration => string.Create(CultureInfo.InvariantCulture, $"127.0.0.1:{Port},abortConnect=false");

    /// <summary>Starts a server and returns once it answers PING.</summary>
    /// <exception cref="InvalidOperationException">redis-server is missing, exited, or did not answer in time.</exception>
    public static RedisBenchmarkServer Start()
    {
        if (!File.Exists(Executable))
        {
            throw new InvalidOperationException($"{Executable} is missing; install Debian's redis-server package (.ci/run does).");
        }

        int port = FreePort();
        string directory = Path.Combine(Path.GetTempPath(), $"streamingcore-bench-redis-{Environment.ProcessId}-{port}");
        Directory.CreateDirectory(directory);
        var start = new ProcessStartInfo(Executable)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
            WorkingDirectory = directory,
        };
        foreach (string argument in (string[])["--port", port.ToString(CultureInfo.InvariantCulture), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no", "--protected-mode", "no", "--dir", directory])
        {
            start.ArgumentList.Add(argument);
        }

        var process = Process.Start(start) ?? throw new InvalidOperationException("redis-server did not start.");

        // Drained so that a chatty server never blocks on a full pipe.
        process.OutputDataReceived += (_, _) => { };
        process.ErrorDataReceived += (_, _) => { };
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        var server = new RedisBenchmarkServer(process, port, directory);
        try
        {
            server.WaitUntilReady();
            return server;
        }
        catch
        {
            server.Dispose();
            throw;
        }
    }

    /// <summary>A new connection to it; the caller disposes it.</summary>
    public ConnectionMultiplexer Connect() => ConnectionMultiplexer.Connect(Configuration);

    /// <summary>Deletes every key (FLUSHALL, on a short-lived admin connection: the stores' connections stay non-admin).</summary>
    public void FlushAll()
    {
        using ConnectionMultiplexer admin = ConnectionMultiplexer.Connect(Configuration + ",allowAdmin=true");
        admin.GetServer(admin.GetEndPoints()[0]).FlushAllDatabases();
    }

    /// <summary>Kills the server and deletes its folder.</summary>
    public void Dispose()
    {
        try
        {
            _process.Kill();
            _process.WaitForExit(10_000);
        }
        catch (InvalidOperationException)
        {
            // It had exited already.
        }

        _process.Dispose();
        try
        {
            Directory.Delete(_directory, recursive: true);
        }
        catch (IOException)
        {
            // A leftover empty folder in /tmp is harmless.
        }
    }

    private void WaitUntilReady()
    {
        var waited = Stopwatch.StartNew();
        while (true)
        {
            if (_process.HasExited)
            {
                throw new InvalidOperationException($"redis-server exited with code {_process.ExitCode} while starting on port {Port}.");
            }

            try
            {
                using var client = new TcpClient();
                client.Connect(IPAddress.Loopback, Port);
                using NetworkStream stream = client.GetStream();
                stream.Write("PING\r\n"u8);
                var reply = new byte[16];
                int read = stream.Read(reply, 0, reply.Length);
                if (read >= 5 && reply.AsSpan(0, 5).SequenceEqual("+PONG"u8))
                {
                    return;
                }
            }
            catch (SocketException)
            {
                // Not listening yet.
            }

            if (waited.Elapsed > StartTimeout)
            {
                throw new InvalidOperationException($"redis-server did not answer PING on port {Port} within {StartTimeout.TotalSeconds:F0} s.");
            }

            Thread.Sleep(10);
        }
    }

    private static int FreePort()
    {
        var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        int port = ((IPEndPoint)listener.LocalEndpoint).Port;
        listener.Stop();
        return port;
    }
}
