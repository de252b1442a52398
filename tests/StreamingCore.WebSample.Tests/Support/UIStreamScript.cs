using System.Diagnostics;
using System.Text.Json;
using NUnit.Framework;

namespace StreamingCore.WebSample.Tests.Support;

/// <summary>
/// <c>Node/read-ui-stream.mjs</c> running under Node: reads one answer of the sample with the <c>ai</c> package's
/// <c>DefaultChatTransport</c> and <c>readUIMessageStream</c> and reports on stdout, one JSON object per line.
/// </summary>
internal sealed class UIStreamScript : IAsyncDisposable
{
    private const string Script = "read-ui-stream.mjs";

    private readonly Process _node;

    // What the script wrote to stderr (npm's and Node's warnings, a stack trace), for a failure's message.
    private readonly Task<string> _errors;

    private UIStreamScript(Process node)
    {
        _node = node;
        _errors = node.StandardError.ReadToEndAsync();
    }

    /// <summary>Sends <paramref name="text"/> to chat <paramref name="chatId"/> as <c>useChat</c>'s <c>sendMessage</c> does.</summary>
    public static Task<UIStreamScript> SendAsync(Uri server, string chatId, string text) => StartAsync(server.ToString(), "send", chatId, text);

    /// <summary>Resumes chat <paramref name="chatId"/> as <c>useChat({ resume: true })</c> does.</summary>
    public static Task<UIStreamScript> ResumeAsync(Uri server, string chatId) => StartAsync(server.ToString(), "resume", chatId);

    /// <summary>Waits until the script has the first message snapshot: its stream is open and the server is serving it.</summary>
    public async Task FirstSnapshotAsync()
    {
        JsonElement line = await NextAsync();
        Assert.That(line.GetProperty("event").GetString(), Is.EqualTo("first"), line.ToString());
    }

    /// <summary>The script's result: <c>status</c>, <c>messageId</c>, <c>text</c>, <c>textStates</c>, <c>chunks</c>, <c>errors</c>.</summary>
    public async Task<JsonElement> ResultAsync()
    {
        JsonElement line = await NextAsync();
        Assert.That(line.GetProperty("event").GetString(), Is.EqualTo("done"), line.ToString());
        await _node.WaitForExitAsync(TestGuard.Token);
        Assert.That(_node.ExitCode, Is.Zero, await _errors);
        return line;
    }

    public async ValueTask DisposeAsync()
    {
        if (!_node.HasExited)
        {
            _node.Kill(entireProcessTree: true);
            await _node.WaitForExitAsync(TestGuard.Token);
        }

        _node.Dispose();
    }

    private static async Task<UIStreamScript> StartAsync(params string[] arguments)
    {
        string directory = await AiPackage.PrepareAsync(Script);
        return new UIStreamScript(AiPackage.Start("node", directory, [Script, .. arguments]));
    }

    private async Task<JsonElement> NextAsync()
    {
        string? line = await _node.StandardOutput.ReadLineAsync(TestGuard.Token);
        if (line is null)
        {
            await _node.WaitForExitAsync(TestGuard.Token);
            Assert.Fail($"{Script} ended (exit code {_node.ExitCode}) without a result:\n{await _errors}");
        }

        return JsonDocument.Parse(line!).RootElement.Clone();
    }
}
