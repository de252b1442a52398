using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using NUnit.Framework;
using StreamingCore.Redis.Tests.Infrastructure;

namespace StreamingCore.Redis.Tests.Servers;

/// <summary>What a server leaves behind (nothing) and how a missing redis-server is reported.</summary>
public class RedisServerLifetimeTests
{
    [Test]
    public async Task Dispose_kills_the_process_frees_the_port_and_deletes_the_folder()
    {
        RedisServer server = await RedisServer.StartNewAsync().Guarded();
        int pid = server.ProcessId!.Value;
        string directory = server.WorkingDirectory;
        Assert.That(Directory.Exists(directory), Is.True);

        await server.DisposeAsync().Guarded();

        Assert.That(IsRunning(pid), Is.False);
        Assert.That(Directory.Exists(directory), Is.False);
        using var client = new TcpClient();
        Assert.That(async () => await client.ConnectAsync(IPAddress.Loopback, server.Port).Guarded(), Throws.InstanceOf<SocketException>());
    }

    [Test]
    public async Task Two_servers_get_two_ports()
    {
        await using RedisServer first = await RedisServer.StartNewAsync().Guarded();
        await using RedisServer second = await RedisServer.StartNewAsync().Guarded();

        Assert.That(first.Port, Is.Not.EqualTo(second.Port));
        Assert.That(first.WorkingDirectory, Is.Not.EqualTo(second.WorkingDirectory));
    }

    [Test]
    public void A_missing_redis_server_names_the_install_step()
    {
        string empty = Directory.CreateTempSubdirectory("no-redis-").FullName;
        try
        {
            var missing = Assert.Throws<InvalidOperationException>(() => RedisServer.Locate("redis-server", empty));

            Assert.That(missing!.Message, Does.Contain(".ci/run").And.Contain("apt-get install -y redis-server"));
        }
        finally
        {
            Directory.Delete(empty);
        }
    }

    private static bool IsRunning(int pid)
    {
        try
        {
            using Process process = Process.GetProcessById(pid);
            return !process.HasExited;
        }
        catch (ArgumentException)
        {
            return false;
        }
    }
}
