using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;

namespace StreamingCore.Redis.Tests.Infrastructure;

/// <summary>
/// Keeps a test run from leaving redis-server processes behind. Every server lives in a folder under one temporary root
/// whose name starts with the owning test process's id, with the server's pid in <c>redis.pid</c>. Two nets: when this test
/// process exits normally (or on SIGTERM) the servers it still tracks are killed; and because a SIGKILLed test host runs no
/// handler at all, the first server a later run starts first kills the servers of owners that are gone.
/// </summary>
internal static class RedisProcessReaper
{
    private const string PidFileName = "redis.pid";

    private static readonly ConcurrentDictionary<Process, string> Live = new();
    private static readonly Lazy<bool> Installed = new(Install);

    /// <summary>The root folder that holds every server's working folder.</summary>
    public static string Root { get; } = Path.Combine(Path.GetTempPath(), "streamingcore-redis-tests");

    /// <summary>A new, empty working folder for one server, named after this process so a later run can tell it is stale.</summary>
    public static string CreateWorkingDirectory()
    {
        _ = Installed.Value;
        string directory = Path.Combine(Root, $"{Environment.ProcessId}-{Guid.NewGuid():N}");
        Directory.CreateDirectory(directory);
        return directory;
    }

    /// <summary>Remembers a started server, in memory for this process's exit and on disk for a later run.</summary>
    public static void Track(Process process, string workingDirectory)
    {
        Live[process] = workingDirectory;
        File.WriteAllText(Path.Combine(workingDirectory, PidFileName), process.Id.ToString(CultureInfo.InvariantCulture));
    }

    /// <summary>Forgets a server that has exited.</summary>
    public static void Untrack(Process process) => Live.TryRemove(process, out _);

    private static bool Install()
    {
        AppDomain.CurrentDomain.ProcessExit += (_, _) => KillLive();
        KillStale();
        return true;
    }

    private static void KillLive()
    {
        foreach (Process process in Live.Keys)
        {
            try
            {
                process.Kill();
            }
            catch (InvalidOperationException)
            {
                // Already exited.
            }
        }
    }

    /// <summary>Kills the servers of test processes that no longer run, and deletes their folders.</summary>
    private static void KillStale()
    {
        if (!Directory.Exists(Root))
        {
            return;
        }

        foreach (string directory in Directory.EnumerateDirectories(Root))
        {
            string name = Path.GetFileName(directory);
            int dash = name.IndexOf('-', StringComparison.Ordinal);
            if (dash <= 0 || !int.TryParse(name.AsSpan(0, dash), NumberStyles.None, CultureInfo.InvariantCulture, out int owner)
                || IsRunning(owner))
            {
                continue;
            }

            string pidFile = Path.Combine(directory, PidFileName);
            if (File.Exists(pidFile) && int.TryParse(File.ReadAllText(pidFile), NumberStyles.None, CultureInfo.InvariantCulture, out int pid)
                && IsServerIn(pid, directory))
            {
                try
                {
                    using Process stale = Process.GetProcessById(pid);
                    stale.Kill();
                    stale.WaitForExit(TimeSpan.FromSeconds(5));
                }
                catch (Exception e) when (e is ArgumentException or InvalidOperationException)
                {
                    // Exited in between.
                }
            }

            try
            {
                Directory.Delete(directory, recursive: true);
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                // Another run's sweep got there first, or a file is still held: the next sweep tries again.
            }
        }
    }

    private static bool IsRunning(int pid)
    {
        try
        {
            using Process process = Process.GetProcessById(pid);
            return !process.HasExited;
        }
        catch (Exception e) when (e is ArgumentException or InvalidOperationException)
        {
            return false;
        }
    }

    /// <summary>
    /// Whether <paramref name="pid"/> is still the redis-server that ran in <paramref name="directory"/>: pids are reused, and
    /// redis rewrites its command line, so the process's working folder is what identifies it (Linux only; elsewhere no stale
    /// server is ever killed).
    /// </summary>
    private static bool IsServerIn(int pid, string directory)
    {
        try
        {
            var cwd = new DirectoryInfo($"/proc/{pid}/cwd");
            return string.Equals(cwd.LinkTarget, directory, StringComparison.Ordinal)
                && File.ReadAllText($"/proc/{pid}/cmdline").Contains("redis-server", StringComparison.Ordinal);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return false;
        }
    }
}
