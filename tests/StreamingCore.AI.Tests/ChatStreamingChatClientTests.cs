using Microsoft.Extensions.AI;
using NUnit.Framework;
using StreamingCore.AI.Tests.Support;
using static StreamingCore.AI.Tests.Support.StoreFixture;

namespace StreamingCore.AI.Tests;

/// <summary>What a call through the middleware publishes, and what its caller receives.</summary>
public class ChatStreamingChatClientTests
{
    private DefaultChatStreamingStore _store = null!;

    [SetUp]
    public void SetUp() => _store = CreateStore();

    [TearDown]
    public void DisposeStore() => _store.Dispose();

    [Test]
    public async Task A_streaming_call_publishes_Started_one_delta_per_update_with_text_and_Finished()
    {
        var inner = new ScriptedChatClient(
            Text("Hel"),
            Text(string.Empty),
            Contents(new TextReasoningContent("thinking")),
            Text("lo"),
            Contents(new FunctionCallContent("call-1", "lookup")),
            Contents(new TextContent(", "), new TextReasoningContent("more thinking"), new TextContent("world")));
        using var client = new ChatStreamingChatClient(inner, _store);

        await client.GetStreamingResponseAsync(Prompt(), Options("c1")).ReadAllAsync(TestGuard.Token);

        List<ChatStreamingEvent> published = await _store.ReadResponseAsync("c1");
        Assert.Multiple(() =>
        {
            Assert.That(published.Kinds(), Is.EqualTo(new[]
            {
                ChatStreamingEventKind.Started, ChatStreamingEventKind.Delta, ChatStreamingEventKind.Delta,
                ChatStreamingEventKind.Delta, ChatStreamingEventKind.Finished,
            }));
            Assert.That(published.Deltas(), Is.EqualTo(new[] { "Hel", "lo", ", world" }));
            Assert.That(published.Terminal().Usage, Is.Null, "no UsageContent, no usage");
        });
    }

    [Test]
    public async Task The_caller_receives_the_inner_clients_update_instances_unmodified_and_in_order()
    {
        ChatResponseUpdate[] scripted =
        [
            Text("a"),
            Contents(new TextReasoningContent("r")),
            Text("b"),
            Usage(3, 4),
        ];
        string[] textsBefore = scripted.Select(u => u.Text).ToArray();
        int[] contentCountsBefore = scripted.Select(u => u.Contents.Count).ToArray();
        using var client = new ChatStreamingChatClient(new ScriptedChatClient(scripted), _store);

        List<ChatResponseUpdate> received = await client.GetStreamingResponseAsync(Prompt(), Options("c1")).ReadAllAsync(TestGuard.Token);

        Assert.Multiple(() =>
        {
            Assert.That(received, Has.Count.EqualTo(scripted.Length));
            for (int i = 0; i < scripted.Length; i++)
            {
                Assert.That(received[i], Is.SameAs(scripted[i]), $"update {i}");
            }

            Assert.That(received.Select(u => u.Text), Is.EqualTo(textsBefore));
            Assert.That(received.Select(u => u.Contents.Count), Is.EqualTo(contentCountsBefore), "the usage content stays in its update");
        });
    }

    [Test]
    public async Task Each_update_is_published_and_reaches_the_caller_before_the_next_is_requested()
    {
        var inner = new ScriptedChatClient(Text("one"), Text("two"), Text("three"));
        Gate third = inner.BlockAt(2);
        using var client = new ChatStreamingChatClient(inner, _store);

        await using IAsyncEnumerator<ChatResponseUpdate> updates = client.GetStreamingResponseAsync(Prompt(), Options("c1")).GetAsyncEnumerator(TestGuard.Token);
        for (int i = 0; i < 2; i++)
        {
            Assert.That(await updates.MoveNextAsync().Guarded(), Is.True);
            ScriptedCall call = inner.Calls.Single();
            Assert.Multiple(() =>
            {
                Assert.That(call.RequestCount, Is.EqualTo(i + 1), "the next update is not requested before the caller asks");
                Assert.That(_store.GetStatistics("c1")!.DeltaCount, Is.EqualTo(i + 1), "the delta is published before the update is handed over");
            });
        }

        // The third update is held by the provider: the first two were not buffered behind it.
        ValueTask<bool> next = updates.MoveNextAsync();
        await third.Reached.Guarded();
        Assert.That(next.IsCompleted, Is.False);
        third.Release();
        Assert.That(await next.Guarded(), Is.True);
        Assert.That(updates.Current.Text, Is.EqualTo("three"));
    }

    [Test]
    public async Task Usage_contents_become_the_token_usage_of_Finished()
    {
        var inner = new ScriptedChatClient(Text("Hi"), Usage(input: 11, output: 7));
        using var client = new ChatStreamingChatClient(inner, _store);

        await client.GetStreamingResponseAsync(Prompt(), Options("c1")).ReadAllAsync(TestGuard.Token);

        ChatStreamingEvent finished = (await _store.ReadResponseAsync("c1")).Terminal();
        Assert.Multiple(() =>
        {
            Assert.That(finished.Kind, Is.EqualTo(ChatStreamingEventKind.Finished));
            Assert.That(finished.Usage, Is.EqualTo(new TokenUsage(InputTokens: 11, OutputTokens: 7)));
        });
    }

    [Test]
    public async Task A_non_streaming_call_publishes_Started_one_delta_and_Finished_with_the_responses_usage()
    {
        var expected = new ChatResponse(new ChatMessage(ChatRole.Assistant, "The whole answer."))
        {
            Usage = new UsageDetails { InputTokenCount = 20, OutputTokenCount = 4 },
        };
        var inner = new ScriptedChatClient { Response = expected };
        using var client = new ChatStreamingChatClient(inner, _store);

        ChatResponse response = await client.GetResponseAsync(Prompt(), Options("c1")).Guarded();

        List<ChatStreamingEvent> published = await _store.ReadResponseAsync("c1");
        Assert.Multiple(() =>
        {
            Assert.That(response, Is.SameAs(expected));
            Assert.That(published.Kinds(), Is.EqualTo(new[] { ChatStreamingEventKind.Started, ChatStreamingEventKind.Delta, ChatStreamingEventKind.Finished }));
            Assert.That(published.Deltas(), Is.EqualTo(new[] { "The whole answer." }));
            Assert.That(published.Terminal().Usage, Is.EqualTo(new TokenUsage(20, 4)));
        });
    }

    [Test]
    public async Task A_non_streaming_Finished_carries_ChatResponse_Usage_only_not_usage_contents_left_in_its_messages()
    {
        // A provider may leave UsageContent in the message while also setting Usage (or set no Usage at all): the contract
        // names ChatResponse.Usage as the non-streaming call's usage, so nothing is added to it or made up without it.
        var withBoth = new ChatResponse(new ChatMessage(ChatRole.Assistant, [new TextContent("Hi"), new UsageContent(new UsageDetails { InputTokenCount = 100, OutputTokenCount = 50 })]))
        {
            Usage = new UsageDetails { InputTokenCount = 20, OutputTokenCount = 4 },
        };
        var contentOnly = new ChatResponse(new ChatMessage(ChatRole.Assistant, [new TextContent("Hi"), new UsageContent(new UsageDetails { InputTokenCount = 100, OutputTokenCount = 50 })]));
        using var both = new ChatStreamingChatClient(new ScriptedChatClient { Response = withBoth }, _store);
        using var onlyContent = new ChatStreamingChatClient(new ScriptedChatClient { Response = contentOnly }, _store);

        await both.GetResponseAsync(Prompt(), Options("c1")).Guarded();
        await onlyContent.GetResponseAsync(Prompt(), Options("c2")).Guarded();

        Assert.Multiple(async () =>
        {
            Assert.That((await _store.ReadResponseAsync("c1")).Terminal().Usage, Is.EqualTo(new TokenUsage(20, 4)), "ChatResponse.Usage, not summed with the message's UsageContent");
            Assert.That((await _store.ReadResponseAsync("c2")).Terminal().Usage, Is.Null, "no ChatResponse.Usage, no usage");
        });
    }

    [Test]
    public async Task A_non_streaming_response_without_text_publishes_no_delta()
    {
        var inner = new ScriptedChatClient { Response = new ChatResponse(new ChatMessage(ChatRole.Assistant, [new FunctionCallContent("call-1", "lookup")])) };
        using var client = new ChatStreamingChatClient(inner, _store);

        await client.GetResponseAsync(Prompt(), Options("c1")).Guarded();

        Assert.That((await _store.ReadResponseAsync("c1")).Kinds(), Is.EqualTo(new[] { ChatStreamingEventKind.Started, ChatStreamingEventKind.Finished }));
    }
}
