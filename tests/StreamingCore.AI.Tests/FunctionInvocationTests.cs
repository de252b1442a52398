using Microsoft.Extensions.AI;
using NUnit.Framework;
using StreamingCore.AI.Tests.Support;
using static StreamingCore.AI.Tests.Support.StoreFixture;

namespace StreamingCore.AI.Tests;

/// <summary>The recommended order with <c>UseFunctionInvocation()</c>: UseChatStreaming outside it.</summary>
public class FunctionInvocationTests
{
    [Test]
    public async Task Outside_UseFunctionInvocation_a_tool_round_trip_is_one_response_and_the_provider_gets_the_whole_history()
    {
        using DefaultChatStreamingStore store = CreateStore();

        // The model asks for the tool first, and answers once it has the tool's result.
        var inner = new ScriptedChatClient(messages => messages.Any(m => m.Contents.OfType<FunctionResultContent>().Any())
            ? [Text("It is "), Text("42.")]
            : [Contents(new FunctionCallContent("call-1", "lookup"))]);
        using IChatClient client = new ChatClientBuilder(inner)
            .UseChatStreaming(store)
            .UseFunctionInvocation()
            .Build();
        var options = new ChatOptions { ConversationId = "c1", Tools = [AIFunctionFactory.Create(() => 42, "lookup")] };

        List<ChatResponseUpdate> received = await client.GetStreamingResponseAsync(Prompt("What is it?"), options).ReadAllAsync(TestGuard.Token);

        List<ChatStreamingEvent> published = await store.ReadResponseAsync("c1");
        Assert.Multiple(() =>
        {
            Assert.That(inner.Calls, Has.Count.EqualTo(2), "two model calls: the tool call, then the answer");
            Assert.That(store.GetResponseStatistics("c1"), Has.Count.EqualTo(1), "one published response for the turn");
            Assert.That(published.Deltas(), Is.EqualTo(new[] { "It is ", "42." }));
            Assert.That(published.Terminal().Kind, Is.EqualTo(ChatStreamingEventKind.Finished));
            Assert.That(received.SelectMany(u => u.Contents).OfType<FunctionResultContent>(), Is.Not.Empty, "the caller still sees the tool round trip");

            // FunctionInvokingChatClient sends only the new messages when it sees a ConversationId (a service-side history);
            // our id never reaches it, so the stateless provider gets the prompt again.
            Assert.That(inner.Calls[1].Messages[0].Text, Is.EqualTo("What is it?"));
            Assert.That(inner.Calls.Select(c => c.Options?.ConversationId), Is.All.Null);
        });
    }
}
