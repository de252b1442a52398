using System.Collections.Concurrent;
using System.Diagnostics;
using Microsoft.Extensions.AI;
using NUnit.Framework;
using StreamingCore.AI.Tests.Support;
using static StreamingCore.AI.Tests.Support.StoreFixture;

namespace StreamingCore.AI.Tests.Telemetry;

/// <summary>The store's response activity composed with Microsoft.Extensions.AI's <c>UseOpenTelemetry()</c>.</summary>
public class TracingTests
{
    // A source name of this test's own, so activities of other tests never match.
    private const string ChatSourceName = "StreamingCore.AI.Tests.Chat";

    private readonly ConcurrentQueue<Activity> _stopped = new();
    private ActivityListener _listener = null!;
    private DefaultChatStreamingStore _store = null!;

    [SetUp]
    public void Listen()
    {
        // NUnit reuses the fixture instance across its tests.
        _stopped.Clear();
        _store = CreateStore();
        _listener = new ActivityListener
        {
            ShouldListenTo = source => source.Name is ChatSourceName or StreamingCoreDiagnostics.ActivitySourceName,
            Sample = (ref ActivityCreationOptions<ActivityContext> _) => ActivitySamplingResult.AllDataAndRecorded,
            ActivityStopped = _stopped.Enqueue,
        };
        ActivitySource.AddActivityListener(_listener);
    }

    [TearDown]
    public void StopListening()
    {
        _listener.Dispose();
        _store.Dispose();
    }

    [Test]
    public async Task With_UseOpenTelemetry_before_UseChatStreaming_a_streamed_response_activity_is_a_child_of_the_chat_activity()
    {
        using IChatClient client = new ChatClientBuilder(new ScriptedChatClient(Text("Hi")))
            .UseOpenTelemetry(sourceName: ChatSourceName)
            .UseChatStreaming(_store)
            .Build();

        await client.GetStreamingResponseAsync(Prompt(), Options("traced")).ReadAllAsync(TestGuard.Token);

        (Activity chat, Activity response) = Activities("traced");
        Assert.Multiple(() =>
        {
            Assert.That(response.TraceId, Is.EqualTo(chat.TraceId));
            Assert.That(response.ParentSpanId, Is.EqualTo(chat.SpanId));
        });
    }

    [Test]
    public async Task With_UseOpenTelemetry_before_UseChatStreaming_a_non_streaming_response_activity_is_a_child_of_the_chat_activity()
    {
        using IChatClient client = new ChatClientBuilder(new ScriptedChatClient())
            .UseOpenTelemetry(sourceName: ChatSourceName)
            .UseChatStreaming(_store)
            .Build();

        await client.GetResponseAsync(Prompt(), Options("traced")).Guarded();

        (Activity chat, Activity response) = Activities("traced");
        Assert.That(response.ParentSpanId, Is.EqualTo(chat.SpanId));
    }

    [Test]
    public async Task In_the_other_order_the_response_activity_is_not_a_child_of_the_chat_activity()
    {
        // Documents why docs/ai.md recommends UseOpenTelemetry first: the order is what makes the parent.
        using IChatClient client = new ChatClientBuilder(new ScriptedChatClient(Text("Hi")))
            .UseChatStreaming(_store)
            .UseOpenTelemetry(sourceName: ChatSourceName)
            .Build();

        await client.GetStreamingResponseAsync(Prompt(), Options("traced")).ReadAllAsync(TestGuard.Token);

        (Activity chat, Activity response) = Activities("traced");
        Assert.That(response.ParentSpanId, Is.Not.EqualTo(chat.SpanId));
    }

    private (Activity Chat, Activity Response) Activities(string conversationId)
    {
        Activity chat = _stopped.Single(a => a.Source.Name == ChatSourceName);
        Activity response = _stopped.Single(a =>
            a.OperationName == StreamingCoreDiagnostics.ResponseActivityName
            && (string?)a.GetTagItem(StreamingCoreDiagnostics.ConversationIdTag) == conversationId);
        return (chat, response);
    }
}
