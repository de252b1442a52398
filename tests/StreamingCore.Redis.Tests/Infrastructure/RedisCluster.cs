using System.Diagnostics;
using System.Net.Sockets;
using StackExchange.Redis;

namespace StreamingCore.Redis.Tests.Infrastructure;

/// <summary>
/// A local Redis Cluster of three masters and no replicas: three cluster-enabled <see cref="RedisServer"/> nodes joined with
/// <c>redis-cli --cluster create</c>, each owning a third of the 16384 hash slots. Disposing kills every node.
/// </summary>
public sealed class RedisCluster : IAsyncDisposable
{
    /// <summary>The number of masters, as the acceptance tests ask ("a local 3-master cluster").</summary>
    public const int MasterCount = 3;

    /// <summary>How long the cluster may take to agree that every slot is served: well above the node timeout (2 s).</summary>
    private static readonly TimeSpan HealthyTimeout = TimeSpan.FromSeconds(30);

    private readonly RedisServer[] _nodes;
    private bool _shared;

    private RedisCluster(RedisServer[] nodes) => _nodes = nodes;

    /// <summary>The three master nodes, in the order their slot ranges were assigned (0-5460, 5461-10922, 10923-16383).</summary>
    public IReadOnlyList<RedisServer> Nodes => _nodes;

    /// <summary>
    /// A StackExchange.Redis configuration string listing all three endpoints (any one would do for discovery; listing all
    /// lets a multiplexer connect while one node is down), with <c>abortConnect=false</c> and a short connect timeout.
    /// </summary>
    public string ConnectionString => string.Join(',', _nodes.Select(n => n.EndPoint)) + ",abortConnect=false,connectTimeout=2000";

    /// <summary>
    /// Starts three nodes on free loopback ports, creates the cluster and returns once every node reports
    /// <c>cluster_state:ok</c> with all slots served and all three nodes known.
    /// </summary>
    public static async Task<RedisCluster> StartNewAsync(CancellationToken cancellationToken = default)
    {
        Task<RedisServer>[] starting = [.. Enumerable.Range(0, MasterCount).Select(_ => RedisServer.StartNewAsync(clusterNode: true, cancellationToken))];
        try
        {
            await Task.WhenAll(starting);
        }
        catch
        {
            foreach (Task<RedisServer> started in starting.Where(s => s.IsCompletedSuccessfully))
            {
                await started.Result.DisposeAsync();
            }

            throw;
        }

        var cluster = new RedisCluster([.. starting.Select(s => s.Result)]);
        try
        {
            await cluster.CreateAsync(cancellationToken);
            await cluster.WaitUntilHealthyAsync(cancellationToken);
            return cluster;
        }
        catch
        {
            await cluster.DisposeAsync();
            throw;
        }
    }

    /// <summary>
    /// Waits until every running node reports <c>cluster_state:ok</c>, all 16384 slots served and all three nodes known.
    /// Fault tests call it after restarting a node: a node that comes back needs a moment to rejoin and be trusted again.
    /// </summary>
    /// <remarks>
    /// Redis announces no change of cluster state, so this polls CLUSTER INFO, with a backoff from 10 ms to 200 ms, bounded
    /// by a 30 s deadline whose error shows each node's last answer.
    /// </remarks>
    public async Task WaitUntilHealthyAsync(CancellationToken cancellationToken = default)
    {
        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        deadline.CancelAfter(HealthyTimeout);
        var last = new string?[_nodes.Length];
        var backoff = TimeSpan.FromMilliseconds(10);
        while (true)
        {
            bool healthy = true;
            for (int i = 0; i < _nodes.Length; i++)
            {
                try
                {
                    last[i] = await RedisWire.SendAsync(_nodes[i].Port, deadline.Token, "CLUSTER", "INFO");
                }
                catch (Exception e) when (e is SocketException or IOException or InvalidOperationException)
                {
                    last[i] = e.Message;
                }
                catch (OperationCanceledException) when (deadline.IsCancellationRequested && !cancellationToken.IsCancellationRequested)
                {
                    // Out of time: not healthy; the delay below turns the expired deadline into the timeout error.
                    healthy = false;
                    break;
                }

                healthy &= IsHealthy(last[i]);
            }

            if (healthy)
            {
                return;
            }

            try
            {
                await Task.Delay(backoff, deadline.Token);
            }
            catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
            {
                throw new TimeoutException(
                    $"The cluster {ConnectionString} was not healthy within {HealthyTimeout.TotalSeconds:0} s. Last CLUSTER INFO per node:\n"
                    + string.Join("\n", _nodes.Select((n, i) => $"{n.EndPoint}: {last[i]}")));
            }

            backoff = TimeSpan.FromTicks(Math.Min(backoff.Ticks * 2, TimeSpan.FromMilliseconds(200).Ticks));
        }
    }

    /// <summary>Deletes every key on every node (FLUSHALL on each master).</summary>
    public async Task FlushAllAsync(CancellationToken cancellationToken = default)
    {
        ThrowIfShared(nameof(FlushAllAsync));
        foreach (RedisServer node in _nodes)
        {
            await node.FlushAllAsync(cancellationToken);
        }
    }

    /// <summary>
    /// A cluster-aware multiplexer from <see cref="ConnectionString"/>; <paramref name="configure"/> may adjust the options.
    /// The caller disposes it.
    /// </summary>
    public Task<ConnectionMultiplexer> ConnectAsync(Action<ConfigurationOptions>? configure = null) =>
        ConnectionMultiplexer.ConnectAsync(ConnectionString, configure ?? (_ => { }));

    /// <summary>Kills every node and deletes their folders.</summary>
    public async ValueTask DisposeAsync()
    {
        ThrowIfShared(nameof(DisposeAsync));
        foreach (RedisServer node in _nodes)
        {
            await node.DisposeAsync();
        }
    }

    /// <inheritdoc/>
    public override string ToString() => $"redis cluster {string.Join(' ', _nodes.Select(n => n.EndPoint))}";

    /// <summary>Marks the cluster and its nodes as shared: tests may not stop, flush or dispose them.</summary>
    internal void MarkShared()
    {
        _shared = true;
        foreach (RedisServer node in _nodes)
        {
            node.IsShared = true;
        }
    }

    /// <summary>Disposes a shared cluster, at the end of the run.</summary>
    internal async ValueTask DisposeSharedAsync()
    {
        _shared = false;
        foreach (RedisServer node in _nodes)
        {
            await node.DisposeSharedAsync();
        }
    }

    private static bool IsHealthy(string? info) =>
        info is not null
        && info.Contains("cluster_state:ok", StringComparison.Ordinal)
        && info.Contains("cluster_slots_ok:16384", StringComparison.Ordinal)
        && info.Contains($"cluster_known_nodes:{MasterCount}", StringComparison.Ordinal);

    private void ThrowIfShared(string operation)
    {
        if (_shared)
        {
            throw new InvalidOperationException(
                $"{operation} on the shared {this}: other tests use it. A test that flushes or kills nodes needs its own cluster "
                + "(RedisCluster.StartNewAsync or DedicatedRedisClusterTests); on the shared one, keep to keys under TestKeyPrefix.Next().");
        }
    }

    /// <summary>
    /// <c>redis-cli --cluster create</c>: assigns the slots, has the nodes meet and waits for them to agree on the
    /// configuration. It polls once a second while the nodes join, so it accounts for most of the cluster's start time.
    /// </summary>
    private async Task CreateAsync(CancellationToken cancellationToken)
    {
        var start = new ProcessStartInfo(RedisServer.Locate("redis-cli"))
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = true,
            UseShellExecute = false,
        };
        foreach (string argument in (string[])["--cluster", "create", .. _nodes.Select(n => n.EndPoint), "--cluster-replicas", "0", "--cluster-yes"])
        {
            start.ArgumentList.Add(argument);
        }

        using Process create = Process.Start(start) ?? throw new InvalidOperationException("redis-cli did not start.");
        // No input: --cluster-yes answers the one question; a closed stdin makes any other prompt fail instead of hang.
        create.StandardInput.Close();
        Task<string> output = create.StandardOutput.ReadToEndAsync(cancellationToken);
        Task<string> errors = create.StandardError.ReadToEndAsync(cancellationToken);
        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        deadline.CancelAfter(HealthyTimeout);
        try
        {
            await create.WaitForExitAsync(deadline.Token);
        }
        catch (OperationCanceledException)
        {
            create.Kill();
            throw new TimeoutException($"redis-cli --cluster create did not finish within {HealthyTimeout.TotalSeconds:0} s.");
        }

        if (create.ExitCode != 0)
        {
            throw new InvalidOperationException(
                $"redis-cli --cluster create failed with exit code {create.ExitCode}:\n{await output}\n{await errors}");
        }
    }
}
