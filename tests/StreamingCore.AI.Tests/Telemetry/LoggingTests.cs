using Microsoft.Extensions.AI;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Testing;
using NUnit.Framework;
using StreamingCore.AI.Tests.Support;
using static StreamingCore.AI.Tests.Support.StoreFixture;

namespace StreamingCore.AI.Tests.Telemetry;

/// <summary>Contents that publish no delta are counted in a Debug message through the builder's logger.</summary>
public class LoggingTests
{
    [Test]
    public async Task Contents_without_a_delta_are_counted_by_kind_in_one_Debug_message_when_the_response_ends()
    {
        var services = new ServiceCollection();
        services.AddLogging(logging => logging.SetMinimumLevel(LogLevel.Trace));
        services.AddFakeLogging();
        using ServiceProvider provider = services.BuildServiceProvider();
        using DefaultChatStreamingStore store = CreateStore();
        var inner = new ScriptedChatClient(
            Contents(new TextReasoningContent("thinking")),
            Contents(new FunctionCallContent("call-1", "lookup"), new FunctionResultContent("call-1", "42")),
            Contents(new DataContent(new byte[] { 1, 2, 3 }, "image/png"), new UriContent(new Uri("https://example.com/a.png"), "image/png")),
            Contents(new ErrorContent("partial failure")),
            Text("Done."),
            Usage(1, 1));
        using IChatClient client = new ChatClientBuilder(inner).UseChatStreaming(store).Build(provider);

        await client.GetStreamingResponseAsync(Prompt(), Options("c1")).ReadAllAsync(TestGuard.Token);

        FakeLogRecord record = provider.GetFakeLogCollector().GetSnapshot().Single(r => r.Id.Name == "ContentsWithoutDelta");
        Assert.Multiple(() =>
        {
            Assert.That(record.Level, Is.EqualTo(LogLevel.Debug));
            Assert.That(record.Category, Is.EqualTo(typeof(ChatStreamingChatClient).FullName));
            Assert.That(record.GetStructuredStateValue("ConversationId"), Is.EqualTo("c1"));
            Assert.That(
                new[] { "ReasoningCount", "ToolCount", "DataCount", "OtherCount" }.Select(record.GetStructuredStateValue),
                Is.EqualTo(new[] { "1", "2", "2", "1" }));
        });
    }

    [Test]
    public async Task A_response_of_text_and_usage_only_logs_nothing()
    {
        var services = new ServiceCollection();
        services.AddLogging(logging => logging.SetMinimumLevel(LogLevel.Trace));
        services.AddFakeLogging();
        using ServiceProvider provider = services.BuildServiceProvider();
        using DefaultChatStreamingStore store = CreateStore();
        using IChatClient client = new ChatClientBuilder(new ScriptedChatClient(Text("Hi"), Usage(1, 1))).UseChatStreaming(store).Build(provider);

        await client.GetStreamingResponseAsync(Prompt(), Options("c1")).ReadAllAsync(TestGuard.Token);

        Assert.That(provider.GetFakeLogCollector().GetSnapshot(), Is.Empty);
    }
}
