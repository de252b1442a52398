using NUnit.Framework;

namespace StreamingCore.Redis.Tests.Infrastructure;

/// <summary>
/// A base for fixtures whose tests stop, restart or flush the server (fault tests): the fixture gets its own
/// <see cref="RedisServer"/>, started once for all its tests and killed after the last. Before each test the server is
/// running again (a test that failed halfway may have left it stopped) and empty.
/// </summary>
public abstract class DedicatedRedisServerTests
{
    /// <summary>The fixture's own server.</summary>
    protected RedisServer Server { get; private set; } = null!;

    /// <summary>Starts the fixture's server.</summary>
    [OneTimeSetUp]
    public async Task StartDedicatedServer()
        => Server = await (Persistent ? RedisServer.StartPersistentAsync() : RedisServer.StartNewAsync()).Guarded();

    /// <summary>Whether the fixture's server keeps its data across a restart (an append-only file); false by default.</summary>
    protected virtual bool Persistent => false;

    /// <summary>Brings the server back if a previous test left it stopped, and empties it.</summary>
    [SetUp]
    public async Task ResetDedicatedServer()
    {
        if (!Server.IsRunning)
        {
            await Server.StartAsync().Guarded();
        }

        await Server.FlushAllAsync().Guarded();
    }

    /// <summary>Kills the fixture's server and deletes its folder.</summary>
    [OneTimeTearDown]
    public async Task StopDedicatedServer()
    {
        // Null when the start failed: the setup's error is the one to report.
        if (Server is not null)
        {
            await Server.DisposeAsync();
        }
    }
}
