using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json.Nodes;
using Microsoft.Extensions.AI;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Time.Testing;
using NUnit.Framework;
using StreamingCore.WebSample.AISdk;
using StreamingCore.WebSample.Tests.Support;

namespace StreamingCore.WebSample.Tests.AISdk;

/// <summary>
/// The AI SDK routes on a real Kestrel port, read byte for byte: <c>POST /api/chat</c> (the UI message stream, its refusals)
/// and the resume route <c>GET /api/chat/{id}/stream</c>. The fake model's tokens are due one per second of a fake clock.
/// </summary>
public class ChatRouteTests
{
    private const string Message = "How does the page resume after a dropped connection?";

    private static readonly Dictionary<string, string> Settings = new()
    {
        ["WebSample:FirstTokenDelay"] = "00:00:01",
        ["WebSample:TokenDelay"] = "00:00:01",
    };

    private static IReadOnlyList<string> Tokens => FakeChatModel.TokensOf(Message);

    [Test]
    public async Task Post_streams_the_answer_as_UI_message_chunks_then_DONE()
    {
        var time = new FakeTimeProvider();
        await using SampleServer server = await SampleServer.StartAsync(time, Settings);
        using var http = new HttpClient { BaseAddress = server.Address };

        using HttpResponseMessage response = await ChatRequests.PostAsync(http, "c1", Message);
        time.Advance(TimeSpan.FromSeconds(Tokens.Count + 1)); // every token due
        using UIMessageStreamReader reader = await ChatRequests.ReaderAsync(response);
        await reader.ReadToEndAsync();

        string messageId = (string)reader.Chunks.First()["messageId"]!;
        string textId = (string)reader.Chunks.ElementAt(1)["id"]!;
        JsonObject[] expected =
        [
            new() { ["type"] = "start", ["messageId"] = messageId },
            new() { ["type"] = "text-start", ["id"] = textId },
            .. Tokens.Select(token => new JsonObject { ["type"] = "text-delta", ["id"] = textId, ["delta"] = token }),
            new() { ["type"] = "text-end", ["id"] = textId },
            new() { ["type"] = "finish", ["finishReason"] = "stop" },
        ];
        Assert.Multiple(() =>
        {
            Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.OK));
            Assert.That(response.Content.Headers.ContentType?.MediaType, Is.EqualTo("text/event-stream"));
            Assert.That(response.Headers.GetValues("x-vercel-ai-ui-message-stream"), Is.EqualTo(new[] { "v1" }));
            Assert.That(response.Headers.CacheControl?.NoCache, Is.True);
            Assert.That(messageId, Does.Match("^msg-[A-Za-z0-9._-]+-1$"), "derived from the Started position (epoch, 1)");
            Assert.That(reader.Payloads[^1], Is.EqualTo(UIMessageStreamReader.Done), "[DONE] ends the stream");
            Assert.That(reader.Chunks.Select(c => c.ToJsonString()), Is.EqualTo(expected.Select(c => c.ToJsonString())), "the chunks, in order, field for field");
            Assert.That(reader.Text, Is.EqualTo(FakeChatModel.AnswerTo(Message)));
        });
    }

    [TestCase("""{"id":"c1","messages":[{"id":"u1","role":"user","parts":[{"type":"text","text":"hi"}]}],"trigger":"regenerate-message","messageId":"a1"}""", "trigger 'regenerate-message'")]
    [TestCase("""{"id":"c1","messages":[{"id":"u1","role":"user","parts":[{"type":"text","text":"hi"}]}]}""", "trigger ''")]
    [TestCase("""{"id":"c1","messages":[{"id":"u1","role":"user","parts":[{"type":"text","text":"hi"}]}],"trigger":"resume-stream"}""", "trigger 'resume-stream'")]
    [TestCase("""{"id":"c1","messages":[{"id":"u1","role":"user","parts":[{"type":"text","text":"hi"}]}""", "not a chat request")]
    [TestCase("""[1,2]""", "not a chat request")]
    [TestCase("""null""", "not a chat request")]
    [TestCase("""{"id":"c1","messages":"hi","trigger":"submit-message"}""", "not a chat request")]
    [TestCase("""{"messages":[{"id":"u1","role":"user","parts":[{"type":"text","text":"hi"}]}],"trigger":"submit-message"}""", "no id")]
    [TestCase("""{"id":"c1","messages":[],"trigger":"submit-message"}""", "must be the user's")]
    [TestCase("""{"id":"c1","messages":[{"id":"a1","role":"assistant","parts":[{"type":"text","text":"hi"}]}],"trigger":"submit-message"}""", "must be the user's")]
    [TestCase("""{"id":"c1","messages":[{"id":"u1","role":"user","parts":[{"type":"file","url":"x"}]}],"trigger":"submit-message"}""", "has no text")]
    [TestCase("""{"id":"c1","messages":[{"id":"u1","role":"user","parts":[{"type":"text","text":"hi"}]}],"trigger":"submit-message","persona":"pirate"}""", "no persona 'pirate'")]
    [TestCase("""{"id":"c\u0001","messages":[{"id":"u1","role":"user","parts":[{"type":"text","text":"hi"}]}],"trigger":"submit-message"}""", "control characters")]
    public async Task A_body_the_endpoint_cannot_answer_is_a_400_problem(string body, string detail)
    {
        await using SampleServer server = await SampleServer.StartAsync(new FakeTimeProvider(), Settings);
        using var http = new HttpClient { BaseAddress = server.Address };

        using HttpResponseMessage response = await http.PostAsync("api/chat", new StringContent(body, Encoding.UTF8, "application/json"), TestGuard.Token);

        Assert.Multiple(async () =>
        {
            Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.BadRequest));
            Assert.That(response.Content.Headers.ContentType?.MediaType, Is.EqualTo("application/problem+json"));
            Assert.That(await response.Content.ReadAsStringAsync(TestGuard.Token), Does.Contain(detail));
            Assert.That(server.Services.GetRequiredService<FakeChatClient>().Calls, Is.Empty, "no model call for a refused body");
        });
    }

    [Test]
    public async Task A_message_while_the_answer_is_active_is_a_409_problem_from_both_message_routes()
    {
        await using SampleServer server = await SampleServer.StartAsync(new FakeTimeProvider(), Settings);
        using var http = new HttpClient { BaseAddress = server.Address };

        using HttpResponseMessage first = await ChatRequests.PostAsync(http, "c1", Message);
        using HttpResponseMessage again = await ChatRequests.PostAsync(http, "c1", "again");
        using HttpResponseMessage viaPage = await http.PostAsJsonAsync("api/conversations/c1/messages", new { text = "again" }, TestGuard.Token);

        Assert.Multiple(async () =>
        {
            Assert.That(first.StatusCode, Is.EqualTo(HttpStatusCode.OK));
            Assert.That(again.StatusCode, Is.EqualTo(HttpStatusCode.Conflict));
            Assert.That(again.Content.Headers.ContentType?.MediaType, Is.EqualTo("application/problem+json"));
            Assert.That(await again.Content.ReadAsStringAsync(TestGuard.Token), Does.Contain("still answering"));
            Assert.That(viaPage.StatusCode, Is.EqualTo(HttpStatusCode.Conflict));
            Assert.That(server.Services.GetRequiredService<FakeChatClient>().Calls, Has.Count.EqualTo(1), "the refused messages never reach the model");
        });
    }

    [Test]
    public async Task A_whole_useChat_history_with_fields_the_sample_ignores_is_answered()
    {
        // What DefaultChatTransport posts on a second message: every earlier message, assistant ones with reasoning, tool,
        // step, source, file and data parts and metadata, and the new user message last.
        const string body = """
            {"id":"c1","trigger":"submit-message","messages":[
              {"id":"u1","role":"user","metadata":{"at":1},"parts":[{"type":"text","text":"first"},{"type":"file","mediaType":"image/png","url":"data:image/png;base64,AA=="}]},
              {"id":"a1","role":"assistant","metadata":{"model":"m"},"parts":[
                {"type":"step-start"},
                {"type":"reasoning","text":"thinking","state":"done","providerMetadata":{"p":{"k":1}}},
                {"type":"tool-weather","toolCallId":"t1","state":"output-available","input":{"city":"Oslo"},"output":{"temp":[1,2]}},
                {"type":"dynamic-tool","toolName":"x","toolCallId":"t2","state":"output-error","input":null,"errorText":"e"},
                {"type":"source-url","sourceId":"s1","url":"https://example.com","title":"t"},
                {"type":"data-progress","id":"d1","data":{"done":true}},
                {"type":"text","text":"an answer","state":"done"}]},
              {"id":"u2","role":"user","parts":[{"type":"text","text":"How does the page resume after a dropped connection?"}]}]}
            """;
        var time = new FakeTimeProvider();
        await using SampleServer server = await SampleServer.StartAsync(time, Settings);
        using var http = new HttpClient { BaseAddress = server.Address };

        using var request = new HttpRequestMessage(HttpMethod.Post, "api/chat") { Content = new StringContent(body, Encoding.UTF8, "application/json") };
        using HttpResponseMessage response = await http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, TestGuard.Token);
        time.Advance(TimeSpan.FromSeconds(Tokens.Count + 1));
        using UIMessageStreamReader reader = await ChatRequests.ReaderAsync(response);
        await reader.ReadToEndAsync();

        Assert.Multiple(() =>
        {
            Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.OK));
            Assert.That(reader.Text, Is.EqualTo(FakeChatModel.AnswerTo(Message)), "the last (user) message is answered");
        });
    }

    [Test]
    public async Task Resume_is_204_for_a_chat_never_seen()
    {
        await using SampleServer server = await SampleServer.StartAsync(new FakeTimeProvider(), Settings);
        using var http = new HttpClient { BaseAddress = server.Address };

        using HttpResponseMessage response = await ChatRequests.ResumeAsync(http, "never-seen");

        Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.NoContent));
    }

    [Test]
    public async Task Resume_joins_the_active_answer_from_its_start_with_the_same_chunks_and_messageId()
    {
        var time = new FakeTimeProvider();
        await using SampleServer server = await SampleServer.StartAsync(time, Settings);
        using var http = new HttpClient { BaseAddress = server.Address };
        using HttpResponseMessage post = await ChatRequests.PostAsync(http, "c1", Message);
        using UIMessageStreamReader original = await ChatRequests.ReaderAsync(post);
        time.Advance(TimeSpan.FromSeconds(10)); // ten tokens due
        await original.ReadDeltasAsync(10);

        using HttpResponseMessage resume = await ChatRequests.ResumeAsync(http, "c1");
        using UIMessageStreamReader resumed = await ChatRequests.ReaderAsync(resume);
        await resumed.ReadDeltasAsync(10); // the first ten again, from the start
        time.Advance(TimeSpan.FromSeconds(Tokens.Count)); // the rest, live
        await resumed.ReadToEndAsync();
        await original.ReadToEndAsync();

        Assert.Multiple(() =>
        {
            Assert.That(resume.StatusCode, Is.EqualTo(HttpStatusCode.OK));
            Assert.That(resume.Headers.GetValues("x-vercel-ai-ui-message-stream"), Is.EqualTo(new[] { "v1" }));
            Assert.That(resumed.Payloads, Is.EqualTo(original.Payloads), "the same chunks, the same start messageId, then [DONE]");
            Assert.That(resumed.Text, Is.EqualTo(FakeChatModel.AnswerTo(Message)));
        });
    }

    [TestCase("team/42")]
    [TestCase("50%2F50")]
    [TestCase("a b?c#d")]
    public async Task Resume_finds_a_chat_whose_id_the_transport_percent_encodes(string chatId)
    {
        // DefaultChatTransport calls {api}/{encodeURIComponent(chatId)}/stream; the server decodes a path except "%2F", so
        // the route value alone cannot tell "team/42" (sent as team%2F42) from "50%2F50" (sent as 50%252F50).
        var time = new FakeTimeProvider();
        await using SampleServer server = await SampleServer.StartAsync(time, Settings);
        using var http = new HttpClient { BaseAddress = server.Address };
        using HttpResponseMessage post = await ChatRequests.PostAsync(http, chatId, Message);
        using UIMessageStreamReader original = await ChatRequests.ReaderAsync(post);

        using HttpResponseMessage resume = await ChatRequests.ResumeAsync(http, chatId);
        time.Advance(TimeSpan.FromSeconds(Tokens.Count + 1));
        using UIMessageStreamReader resumed = await ChatRequests.ReaderAsync(resume);
        await resumed.ReadToEndAsync();
        await original.ReadToEndAsync();

        Assert.Multiple(() =>
        {
            Assert.That(resume.StatusCode, Is.EqualTo(HttpStatusCode.OK));
            Assert.That(resumed.Payloads, Is.EqualTo(original.Payloads));
        });
    }

    [Test]
    public async Task Resume_while_the_answer_is_starting_is_that_answer_not_204()
    {
        // The window between the answer's Started (published: the store has it active) and the moment the sample knows its
        // position: "while an answer is active: that answer from its start", so the resume route must not say 204 there.
        var time = new FakeTimeProvider();
        await using SampleServer server = await SampleServer.StartAsync(time, Settings, services => services.Replace(
            ServiceDescriptor.Singleton<IChatStreamingStore>(s => new SlowToFindStartStore(s.GetRequiredService<DefaultChatStreamingStore>()))));
        var store = (SlowToFindStartStore)server.Services.GetRequiredService<IChatStreamingStore>();
        using var http = new HttpClient { BaseAddress = server.Address };
        AnswerService answers = server.Services.GetRequiredService<AnswerService>();
        Task<HttpResponseMessage> posting = ChatRequests.PostAsync(http, "c1", Message);
        await store.Reached.WaitAsync(TestGuard.Token);

        Task<Answer?> activeInTheWindow = answers.ActiveAsync("c1", TestGuard.Token);
        bool waitedForTheStart = !activeInTheWindow.IsCompleted;
        Task<HttpResponseMessage> resuming = ChatRequests.ResumeAsync(http, "c1");
        store.Release();
        Answer? active = await activeInTheWindow;
        using HttpResponseMessage post = await posting;
        using HttpResponseMessage resume = await resuming;
        time.Advance(TimeSpan.FromSeconds(Tokens.Count + 1));
        using UIMessageStreamReader original = await ChatRequests.ReaderAsync(post);
        using UIMessageStreamReader resumed = await ChatRequests.ReaderAsync(resume);
        await original.ReadToEndAsync();
        await resumed.ReadToEndAsync();

        Assert.Multiple(() =>
        {
            Assert.That(server.Services.GetRequiredService<DefaultChatStreamingStore>().GetResponseStatistics("c1"), Has.Count.EqualTo(1));
            Assert.That(waitedForTheStart, Is.True, "its position is not known yet, so it is waited for");
            Assert.That(active, Is.Not.Null, "Started is published: the answer is active");
            Assert.That(resume.StatusCode, Is.EqualTo(HttpStatusCode.OK));
            Assert.That(resumed.Payloads, Is.EqualTo(original.Payloads), "the same chunks, the same start messageId, then [DONE]");
        });
    }

    [Test]
    public async Task Resume_is_204_once_the_answer_ended_although_the_store_still_retains_it()
    {
        var time = new FakeTimeProvider();
        await using SampleServer server = await SampleServer.StartAsync(time, Settings);
        using var http = new HttpClient { BaseAddress = server.Address };
        using HttpResponseMessage post = await ChatRequests.PostAsync(http, "c1", Message);
        time.Advance(TimeSpan.FromSeconds(Tokens.Count + 1));
        using UIMessageStreamReader reader = await ChatRequests.ReaderAsync(post);
        await reader.ReadToEndAsync();

        // At once after [DONE]: the answer ended by the time [DONE] was written.
        using HttpResponseMessage resume = await ChatRequests.ResumeAsync(http, "c1");
        var retained = new List<ChatStreamingEvent>();
        await foreach (ChatStreamingEvent e in server.Services.GetRequiredService<IChatStreamingStore>().SubscribeAsync("c1", 0, TestGuard.Token))
        {
            retained.Add(e);
        }

        Assert.Multiple(() =>
        {
            Assert.That(reader.Payloads[^1], Is.EqualTo(UIMessageStreamReader.Done));
            Assert.That(resume.StatusCode, Is.EqualTo(HttpStatusCode.NoContent));
            Assert.That(retained[0].Kind, Is.EqualTo(ChatStreamingEventKind.Started), "the store still replays the answer");
            Assert.That(retained[^1].Kind, Is.EqualTo(ChatStreamingEventKind.Finished));
        });
    }

    [Test]
    public async Task A_character_split_across_two_updates_reaches_the_client_whole()
    {
        // A model may split a surrogate pair (an emoji) between two updates: each chunk alone is not valid text.
        await using SampleServer server = await SampleServer.StartAsync(new FakeTimeProvider(), Settings, services => services
            .AddChatClient(_ => new SplitCharacterChatClient("Hi \uD83D", "\uDE00 there"))
            .UseChatStreaming());
        using var http = new HttpClient { BaseAddress = server.Address };
        using HttpResponseMessage post = await ChatRequests.PostAsync(http, "c1", Message);
        using UIMessageStreamReader reader = await ChatRequests.ReaderAsync(post);
        await reader.ReadToEndAsync();

        Assert.That(reader.Text, Is.EqualTo("Hi \uD83D\uDE00 there"));
    }

    [Test]
    public async Task DONE_is_written_once_the_answer_is_saved_so_the_next_message_is_taken_and_sees_it()
    {
        var time = new FakeTimeProvider();
        var end = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        await using SampleServer server = await SampleServer.StartAsync(time, Settings, services => services
            .AddChatClient(s => s.GetRequiredService<FakeChatClient>())
            .Use(inner => new SlowToEndChatClient(inner, end.Task)) // outside UseChatStreaming: Finished is published, then the end waits
            .UseChatStreaming());
        using var http = new HttpClient { BaseAddress = server.Address };
        using HttpResponseMessage post = await ChatRequests.PostAsync(http, "c1", Message);
        time.Advance(TimeSpan.FromSeconds(Tokens.Count + 1));
        using UIMessageStreamReader reader = await ChatRequests.ReaderAsync(post);

        // Everything up to the text's end arrives while the call has not ended; a server that wrote finish and [DONE]
        // after it at once (before the answer is saved) has them in the same flush, so the next read is already done.
        while (await reader.NextAsync() is { } payload && !payload.Contains("\"text-end\"", StringComparison.Ordinal))
        {
        }

        Task<string?> afterTextEnd = reader.NextAsync();
        Assert.That(afterTextEnd.IsCompleted, Is.False, "nothing after text-end until the answer is saved");
        end.SetResult();
        Assert.That(await afterTextEnd.Guarded(), Does.Contain("\"finish\""));
        await reader.ReadToEndAsync();

        // Nothing waits here: whatever [DONE] promises must hold the moment it is read.
        bool active = await server.Services.GetRequiredService<AnswerService>().ActiveAsync("c1", TestGuard.Token) is not null;
        IReadOnlyList<ChatMessage> history = server.Services.GetRequiredService<AnswerService>().History("c1");
        using HttpResponseMessage resume = await ChatRequests.ResumeAsync(http, "c1");
        using HttpResponseMessage next = await ChatRequests.PostAsync(http, "c1", "next");

        Assert.Multiple(() =>
        {
            Assert.That(active, Is.False, "the answer is no longer active");
            Assert.That(Describe(history), Is.EqualTo(new[] { $"user: {Message}", $"assistant: {FakeChatModel.AnswerTo(Message)}" }), "and it is in the history");
            Assert.That(resume.StatusCode, Is.EqualTo(HttpStatusCode.NoContent));
            Assert.That(next.StatusCode, Is.EqualTo(HttpStatusCode.OK), "the next message is taken at once");
        });
    }

    [Test]
    public async Task A_second_answer_in_the_chat_has_its_own_messageId_and_text()
    {
        var time = new FakeTimeProvider();
        await using SampleServer server = await SampleServer.StartAsync(time, Settings);
        using var http = new HttpClient { BaseAddress = server.Address };
        const string second = "Does a slow tab slow the model?";

        var readers = new List<UIMessageStreamReader>();
        foreach (string message in new[] { Message, second })
        {
            using HttpResponseMessage post = await ChatRequests.PostAsync(http, "c1", message);
            time.Advance(TimeSpan.FromSeconds(FakeChatModel.TokensOf(message).Count + 1));
            UIMessageStreamReader reader = await ChatRequests.ReaderAsync(post);
            await reader.ReadToEndAsync();
            readers.Add(reader);
        }

        Assert.Multiple(() =>
        {
            Assert.That((string?)readers[1].Chunks.First()["messageId"], Is.Not.EqualTo((string?)readers[0].Chunks.First()["messageId"]));
            Assert.That(readers[1].Text, Is.EqualTo(FakeChatModel.AnswerTo(second)), "the second answer, not a replay of the first");
        });
        readers.ForEach(r => r.Dispose());
    }

    [Test]
    public async Task The_chat_client_gets_the_persona_prompt_and_the_history_and_never_our_conversation_id()
    {
        var time = new FakeTimeProvider();
        await using SampleServer server = await SampleServer.StartAsync(time, Settings);
        using var http = new HttpClient { BaseAddress = server.Address };
        const string second = "And what about slow tabs?";

        using (HttpResponseMessage post = await ChatRequests.PostAsync(http, "c1", Message, persona: "calm_coach"))
        {
            time.Advance(TimeSpan.FromSeconds(Tokens.Count + 1));
            using UIMessageStreamReader reader = await ChatRequests.ReaderAsync(post);
            await reader.ReadToEndAsync();
        }

        // The page's route goes through the same pipeline and the same history.
        (await http.PostAsJsonAsync("api/conversations/c1/messages", new { text = second, persona = "fitness_coach" }, TestGuard.Token)).EnsureSuccessStatusCode();
        using (HttpResponseMessage other = await ChatRequests.PostAsync(http, "c2", "hi"))
        {
            Assert.That(other.StatusCode, Is.EqualTo(HttpStatusCode.OK));
        }

        IReadOnlyList<FakeChatCall> calls = server.Services.GetRequiredService<FakeChatClient>().Calls;
        Assert.That(calls, Has.Count.EqualTo(3));
        Assert.Multiple(() =>
        {
            Assert.That(Describe(calls[0].Messages), Is.EqualTo(new[] { $"system: {Prompt("calm_coach")}", $"user: {Message}" }));
            Assert.That(Describe(calls[1].Messages), Is.EqualTo(new[]
            {
                $"system: {Prompt("fitness_coach")}", $"user: {Message}", $"assistant: {FakeChatModel.AnswerTo(Message)}", $"user: {second}",
            }), "the persona of this call, then the conversation's history with the finished answer");
            Assert.That(Describe(calls[2].Messages), Is.EqualTo(new[] { $"system: {Prompt("default")}", "user: hi" }), "another conversation, the default persona");
            Assert.That(calls.Select(c => c.Options?.ConversationId), Is.All.Null, "UseChatStreaming keeps our conversation id from the provider");
        });
    }

    [Test]
    public async Task A_failed_answer_ends_with_text_end_error_and_finish_error_then_DONE()
    {
        var time = new FakeTimeProvider();
        await using SampleServer server = await SampleServer.StartAsync(time, Settings);
        using var http = new HttpClient { BaseAddress = server.Address };
        using HttpResponseMessage post = await ChatRequests.PostAsync(http, "c1", Message);
        using UIMessageStreamReader reader = await ChatRequests.ReaderAsync(post);
        time.Advance(TimeSpan.FromSeconds(3));
        await reader.ReadDeltasAsync(3);

        // The app stopping cancels the answer: UseChatStreaming publishes Failed("canceled").
        Task stopping = server.StopAsync();
        await reader.ReadToEndAsync();
        await stopping;

        string textId = (string)reader.Chunks.ElementAt(1)["id"]!;
        JsonObject[] expectedEnd =
        [
            new() { ["type"] = "text-end", ["id"] = textId },
            new() { ["type"] = "error", ["errorText"] = "canceled" },
            new() { ["type"] = "finish", ["finishReason"] = "error" },
        ];
        Assert.Multiple(() =>
        {
            Assert.That(reader.Chunks.TakeLast(3).Select(c => c.ToJsonString()), Is.EqualTo(expectedEnd.Select(c => c.ToJsonString())));
            Assert.That(reader.Payloads[^1], Is.EqualTo(UIMessageStreamReader.Done));
            Assert.That(FakeChatModel.AnswerTo(Message), Does.StartWith(reader.Text), "the text sent before the failure, exact");
        });
    }

    [TestCase("stop", "stop")]
    [TestCase("length", "length")]
    [TestCase("tool_calls", "tool-calls")]
    [TestCase("content_filter", "content-filter")]
    [TestCase("something_new", "other")]
    [TestCase(null, "stop")]
    public void Finish_reasons_map_onto_the_AI_SDK_values(string? reason, string expected)
        => Assert.That(UIMessageStreamResult.FinishReasonOf(reason is null ? null : new ChatFinishReason(reason)), Is.EqualTo(expected));

    /// <summary>Ends its call's stream only a while after the inner stream ended, like a pipeline that saves something at the end.</summary>
    private sealed class SplitCharacterChatClient(params string[] texts) : IChatClient
    {
        public Task<ChatResponse> GetResponseAsync(IEnumerable<ChatMessage> messages, ChatOptions? options = null, CancellationToken cancellationToken = default)
            => throw new NotSupportedException();

        public async IAsyncEnumerable<ChatResponseUpdate> GetStreamingResponseAsync(
            IEnumerable<ChatMessage> messages, ChatOptions? options = null, [System.Runtime.CompilerServices.EnumeratorCancellation] CancellationToken cancellationToken = default)
        {
            foreach (string text in texts)
            {
                await Task.Yield();
                yield return new ChatResponseUpdate(ChatRole.Assistant, text);
            }
        }

        public object? GetService(Type serviceType, object? serviceKey = null) => null;

        public void Dispose()
        {
        }
    }

    private sealed class SlowToEndChatClient(IChatClient inner, Task end) : DelegatingChatClient(inner)
    {
        public override async IAsyncEnumerable<ChatResponseUpdate> GetStreamingResponseAsync(
            IEnumerable<ChatMessage> messages, ChatOptions? options = null, [System.Runtime.CompilerServices.EnumeratorCancellation] CancellationToken cancellationToken = default)
        {
            await foreach (ChatResponseUpdate update in base.GetStreamingResponseAsync(messages, options, cancellationToken))
            {
                yield return update;
            }

            // The call ends when the test says so: [DONE] must not come before.
            await end.WaitAsync(cancellationToken);
        }
    }

    private static string Prompt(string persona) => Personas.TryGetPrompt(persona, out string? prompt) ? prompt : throw new ArgumentException(persona);

    private static string[] Describe(IEnumerable<ChatMessage> messages) => [.. messages.Select(m => $"{m.Role}: {m.Text}")];
}
