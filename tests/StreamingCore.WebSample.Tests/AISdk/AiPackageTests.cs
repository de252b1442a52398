using System.Net;
using System.Text.Json;
using Microsoft.Extensions.Time.Testing;
using NUnit.Framework;
using StreamingCore.WebSample.Tests.Support;

namespace StreamingCore.WebSample.Tests.AISdk;

/// <summary>
/// A real client no one here wrote: the Vercel AI SDK's <c>ai</c> package (pinned, <see cref="AiPackage.Version"/>) under
/// Node reads the sample's routes with <c>DefaultChatTransport</c>, useChat's own transport, and assembles the message with
/// <c>readUIMessageStream</c>; the text must be exactly what the model sent, for a live answer and for a resumed one.
/// </summary>
/// <remarks>
/// The model's tokens are due one per second of a fake clock; the test releases them only once the script reports its
/// stream open, so the script reads them live (and, when resuming, joins an answer already half sent).
/// </remarks>
public class AiPackageTests
{
    private const string Message = "How does the page resume after a dropped connection?";

    private static readonly Dictionary<string, string> Settings = new()
    {
        ["WebSample:FirstTokenDelay"] = "00:00:01",
        ["WebSample:TokenDelay"] = "00:00:01",
    };

    private static int TokenCount => FakeChatModel.TokensOf(Message).Count;

    [Test]
    public async Task The_ai_package_assembles_a_live_answer_to_the_exact_text()
    {
        var time = new FakeTimeProvider();
        await using SampleServer server = await SampleServer.StartAsync(time, Settings);

        await using UIStreamScript client = await UIStreamScript.SendAsync(server.Address, "c1", Message);
        await client.FirstSnapshotAsync();
        time.Advance(TimeSpan.FromSeconds(TokenCount + 1));
        JsonElement result = await client.ResultAsync();

        Assert.Multiple(() =>
        {
            Assert.That(result.GetProperty("status").GetString(), Is.EqualTo("streamed"));
            Assert.That(result.GetProperty("text").GetString(), Is.EqualTo(FakeChatModel.AnswerTo(Message)), "character for character");
            Assert.That(result.GetProperty("messageId").GetString(), Does.StartWith("msg-"), "the message takes the start chunk's id");
            Assert.That(Strings(result, "textStates"), Is.EqualTo(new[] { "done" }), "one text part, closed by text-end");
            Assert.That(Strings(result, "chunks")[^2..], Is.EqualTo(new[] { "text-end", "finish" }));
            Assert.That(Strings(result, "errors"), Is.Empty, "every chunk passed the package's schema");
        });
    }

    [Test]
    public async Task The_ai_package_assembles_a_resumed_answer_to_the_exact_text()
    {
        var time = new FakeTimeProvider();
        await using SampleServer server = await SampleServer.StartAsync(time, Settings);
        using var http = new HttpClient { BaseAddress = server.Address };
        using HttpResponseMessage post = await ChatRequests.PostAsync(http, "c1", Message);
        using UIMessageStreamReader original = await ChatRequests.ReaderAsync(post);
        time.Advance(TimeSpan.FromSeconds(12));
        await original.ReadDeltasAsync(12); // the answer is mid-way when the client resumes

        await using UIStreamScript client = await UIStreamScript.ResumeAsync(server.Address, "c1");
        await client.FirstSnapshotAsync();
        time.Advance(TimeSpan.FromSeconds(TokenCount));
        JsonElement result = await client.ResultAsync();
        await original.ReadToEndAsync();

        Assert.Multiple(() =>
        {
            Assert.That(result.GetProperty("status").GetString(), Is.EqualTo("streamed"));
            Assert.That(result.GetProperty("text").GetString(), Is.EqualTo(FakeChatModel.AnswerTo(Message)), "character for character");
            Assert.That(result.GetProperty("text").GetString(), Is.EqualTo(original.Text), "what the POST sent");
            Assert.That(result.GetProperty("messageId").GetString(), Is.EqualTo((string?)original.Chunks.First()["messageId"]), "the original's message id");
            Assert.That(Strings(result, "errors"), Is.Empty);
        });
    }

    [Test]
    public async Task The_ai_package_finds_nothing_to_resume_once_the_answer_ended()
    {
        var time = new FakeTimeProvider();
        await using SampleServer server = await SampleServer.StartAsync(time, Settings);
        using var http = new HttpClient { BaseAddress = server.Address };
        using HttpResponseMessage post = await ChatRequests.PostAsync(http, "c1", Message);
        time.Advance(TimeSpan.FromSeconds(TokenCount + 1));
        using UIMessageStreamReader original = await ChatRequests.ReaderAsync(post);
        await original.ReadToEndAsync();

        await using UIStreamScript client = await UIStreamScript.ResumeAsync(server.Address, "c1");
        JsonElement result = await client.ResultAsync();

        Assert.Multiple(() =>
        {
            Assert.That(post.StatusCode, Is.EqualTo(HttpStatusCode.OK));
            Assert.That(result.GetProperty("status").GetString(), Is.EqualTo("no-content"), "reconnectToStream returned null on the 204");
        });
    }

    [Test]
    public async Task The_ai_package_reports_a_failed_answer_and_ends_cleanly()
    {
        var time = new FakeTimeProvider();
        await using SampleServer server = await SampleServer.StartAsync(time, Settings);

        await using UIStreamScript client = await UIStreamScript.SendAsync(server.Address, "c1", Message);
        await client.FirstSnapshotAsync();
        time.Advance(TimeSpan.FromSeconds(3));
        await server.StopAsync(); // cancels the answer: Failed("canceled")
        JsonElement result = await client.ResultAsync();

        Assert.Multiple(() =>
        {
            Assert.That(result.GetProperty("status").GetString(), Is.EqualTo("streamed"));
            Assert.That(Strings(result, "errors"), Is.EqualTo(new[] { "canceled" }), "the error chunk reached the reader's onError");
            Assert.That(FakeChatModel.AnswerTo(Message), Does.StartWith(result.GetProperty("text").GetString()!), "the text before the failure, exact");
            Assert.That(Strings(result, "chunks")[^3..], Is.EqualTo(new[] { "text-end", "error", "finish" }));
        });
    }

    private static string[] Strings(JsonElement result, string property)
        => [.. result.GetProperty(property).EnumerateArray().Select(e => e.GetString()!)];
}
