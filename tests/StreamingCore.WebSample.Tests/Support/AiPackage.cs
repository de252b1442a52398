using System.ComponentModel;
using System.Diagnostics;
using System.Text.Json;
using NUnit.Framework;

namespace StreamingCore.WebSample.Tests.Support;

/// <summary>
/// The Vercel AI SDK's <c>ai</c> npm package, pinned, installed with the machine's npm into
/// <c>artifacts/node/ai-{version}</c> (ignored by git) once and reused by later runs; the test scripts run from there.
/// </summary>
internal static class AiPackage
{
    /// <summary>The pinned version. <c>ai</c> 7 declares Node ≥ 22 and runs on Node 20 (npm warns EBADENGINE).</summary>
    public const string Version = "7.0.173";

    private static readonly SemaphoreSlim InstallLock = new(1, 1);

    /// <summary>Installs the package when it is missing and copies <paramref name="script"/> (from the test's <c>Node</c> folder) beside it.</summary>
    /// <returns>The folder to run the script in.</returns>
    public static async Task<string> PrepareAsync(string script)
    {
        string directory = Path.Combine(RepositoryRoot(), "artifacts", "node", $"ai-{Version}");
        await InstallLock.WaitAsync(TestGuard.Token);
        try
        {
            if (InstalledVersion(directory) != Version)
            {
                Directory.CreateDirectory(directory);
                await File.WriteAllTextAsync(Path.Combine(directory, "package.json"), """{ "private": true }""", TestGuard.Token);
                await RunAsync("npm", directory, "install", "--no-audit", "--no-fund", $"ai@{Version}");
                Assert.That(InstalledVersion(directory), Is.EqualTo(Version), $"npm installed ai into {directory}");
            }
        }
        finally
        {
            InstallLock.Release();
        }

        File.Copy(Path.Combine(TestContext.CurrentContext.TestDirectory, "Node", script), Path.Combine(directory, script), overwrite: true);
        return directory;
    }

    /// <summary>Starts a tool from PATH; fails the test (never skips it) when the tool is missing.</summary>
    public static Process Start(string tool, string workingDirectory, params string[] arguments)
    {
        var start = new ProcessStartInfo(tool, arguments)
        {
            WorkingDirectory = workingDirectory,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        try
        {
            return Process.Start(start) ?? throw new InvalidOperationException($"{tool} did not start.");
        }
        catch (Win32Exception ex)
        {
            Assert.Fail($"'{tool}' is not on PATH ({ex.Message}): install Node.js and npm (apt-get install -y nodejs npm), as .ci/run does.");
            throw;
        }
    }

    private static async Task RunAsync(string tool, string workingDirectory, params string[] arguments)
    {
        using Process process = Start(tool, workingDirectory, arguments);
        using var install = new CancellationTokenSource(TimeSpan.FromMinutes(5));
        Task<string> output = process.StandardOutput.ReadToEndAsync(install.Token);
        Task<string> errors = process.StandardError.ReadToEndAsync(install.Token);
        await process.WaitForExitAsync(install.Token);
        Assert.That(process.ExitCode, Is.Zero, $"{tool} {string.Join(' ', arguments)} failed:\n{await output}\n{await errors}");
    }

    private static string? InstalledVersion(string directory)
    {
        string manifest = Path.Combine(directory, "node_modules", "ai", "package.json");
        if (!File.Exists(manifest))
        {
            return null;
        }

        using JsonDocument package = JsonDocument.Parse(File.ReadAllText(manifest));
        return package.RootElement.GetProperty("version").GetString();
    }

    private static string RepositoryRoot()
    {
        for (DirectoryInfo? dir = new(TestContext.CurrentContext.TestDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "StreamingCore.sln")))
            {
                return dir.FullName;
            }
        }

        throw new InvalidOperationException("StreamingCore.sln not found above the test directory.");
    }
}
