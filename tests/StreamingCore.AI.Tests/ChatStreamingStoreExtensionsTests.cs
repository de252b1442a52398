using System.Runtime.CompilerServices;
using Microsoft.Extensions.AI;
using NUnit.Framework;
using StreamingCore.AI.Tests.Support;
using static StreamingCore.AI.Tests.Support.StoreFixture;

namespace StreamingCore.AI.Tests;

/// <summary><see cref="ChatStreamingStoreExtensions.PublishStreamingResponseAsync"/>: the same rules, and ToChatResponseAsync's result.</summary>
public class ChatStreamingStoreExtensionsTests
{
    private DefaultChatStreamingStore _store = null!;

    [SetUp]
    public void SetUp() => _store = CreateStore();

    [TearDown]
    public void DisposeStore() => _store.Dispose();

    /// <summary>A stream like a provider's: ids, a model, reasoning, a tool call, two usage reports and a finish reason.</summary>
    private static ChatResponseUpdate[] ProviderLikeUpdates()
    {
        ChatResponseUpdate Update(params AIContent[] contents) => new(ChatRole.Assistant, contents.ToList())
        {
            ResponseId = "resp-1",
            MessageId = "msg-1",
            ModelId = "model-x",
        };

        ChatResponseUpdate last = Update(new TextContent("."), new UsageContent(new UsageDetails { InputTokenCount = 1, OutputTokenCount = 5 }));
        last.FinishReason = ChatFinishReason.Stop;
        return
        [
            Update(new TextReasoningContent("let me think")),
            Update(new TextContent("The answer")),
            Update(new FunctionCallContent("call-1", "lookup", new Dictionary<string, object?> { ["q"] = "x" })),
            Update(new TextContent(" is 42"), new UsageContent(new UsageDetails { InputTokenCount = 10, OutputTokenCount = 2 })),
            last,
        ];
    }

    [Test]
    public async Task The_returned_response_equals_what_ToChatResponseAsync_gives_for_the_same_updates()
    {
        ChatResponse expected = await ToAsync(ProviderLikeUpdates()).ToChatResponseAsync(TestGuard.Token);

        ChatResponse actual = await _store.PublishStreamingResponseAsync("c1", ToAsync(ProviderLikeUpdates()), TestGuard.Token).Guarded();

        Assert.Multiple(() =>
        {
            Assert.That(actual.Text, Is.EqualTo(expected.Text).And.EqualTo("The answer is 42."));
            Assert.That(actual.Messages, Has.Count.EqualTo(expected.Messages.Count));
            Assert.That(actual.Messages.Select(m => m.Contents.Count), Is.EqualTo(expected.Messages.Select(m => m.Contents.Count)));
            Assert.That(actual.FinishReason, Is.EqualTo(expected.FinishReason).And.EqualTo(ChatFinishReason.Stop));
            Assert.That(actual.ResponseId, Is.EqualTo(expected.ResponseId));
            Assert.That(actual.ModelId, Is.EqualTo(expected.ModelId));
            Assert.That(
                (actual.Usage?.InputTokenCount, actual.Usage?.OutputTokenCount, actual.Usage?.TotalTokenCount),
                Is.EqualTo((expected.Usage?.InputTokenCount, expected.Usage?.OutputTokenCount, expected.Usage?.TotalTokenCount)));
        });
    }

    [Test]
    public async Task It_publishes_the_text_deltas_and_the_usage_ToChatResponseAsync_sums()
    {
        ChatResponse response = await _store.PublishStreamingResponseAsync("c1", ToAsync(ProviderLikeUpdates()), TestGuard.Token).Guarded();

        List<ChatStreamingEvent> published = await _store.ReadResponseAsync("c1");
        Assert.Multiple(() =>
        {
            Assert.That(published.Deltas(), Is.EqualTo(new[] { "The answer", " is 42", "." }));
            Assert.That(published.Terminal().Usage, Is.EqualTo(new TokenUsage(11, 7)));
            Assert.That(published.Terminal().Usage, Is.EqualTo(new TokenUsage((int)response.Usage!.InputTokenCount!, (int)response.Usage.OutputTokenCount!)));
            Assert.That(string.Concat(published.Deltas()), Is.EqualTo(response.Text));
        });
    }

    [Test]
    public async Task A_stream_that_throws_publishes_Failed_and_the_same_exception_is_thrown()
    {
        var thrown = new InvalidOperationException("connection reset");

        Exception? caught = await Assert.CatchAsync(() => _store.PublishStreamingResponseAsync("c1", ThrowingAfter(thrown, "Hel"), TestGuard.Token));

        List<ChatStreamingEvent> published = await _store.ReadResponseAsync("c1");
        Assert.Multiple(() =>
        {
            Assert.That(caught, Is.SameAs(thrown));
            Assert.That(published.Deltas(), Is.EqualTo(new[] { "Hel" }));
            Assert.That(published.Terminal().Error, Is.EqualTo("InvalidOperationException: connection reset"));
        });
    }

    [Test]
    public async Task Cancellation_publishes_Failed_canceled_and_throws_OperationCanceledException()
    {
        using var cts = new CancellationTokenSource();
        var inner = new ScriptedChatClient(Text("a"), Text("b"));
        Gate second = inner.BlockAt(1);

        Task<ChatResponse> publishing = _store.PublishStreamingResponseAsync("c1", inner.GetStreamingResponseAsync(Prompt()), cts.Token);
        await second.Reached.Guarded();
        await cts.CancelAsync();

        Assert.That(async () => await publishing.Guarded(), Throws.InstanceOf<OperationCanceledException>());
        Assert.That((await _store.ReadResponseAsync("c1")).Terminal().Error, Is.EqualTo("canceled"));
    }

    [Test]
    public async Task An_active_response_is_refused_before_the_updates_are_enumerated()
    {
        _store.Publish(ChatStreamingEvent.Started("c1"));
        var updates = new CountingUpdates();

        ChatStreamingException? refused = await Assert.ThrowsAsync<ChatStreamingException>(() => _store.PublishStreamingResponseAsync("c1", updates, TestGuard.Token));

        Assert.Multiple(() =>
        {
            Assert.That(refused!.Error, Is.EqualTo(ChatStreamingError.ResponseAlreadyStarted));
            Assert.That(updates.Enumerations, Is.Zero);
            Assert.That(_store.GetStatistics("c1")!.Outcome, Is.EqualTo(ChatResponseOutcome.Streaming));
        });
    }

    [Test]
    public void Null_arguments_are_refused_at_the_call()
    {
        Assert.Multiple(() =>
        {
            Assert.That(() => ((IChatStreamingStore)null!).PublishStreamingResponseAsync("c1", ToAsync()), Throws.ArgumentNullException);
            Assert.That(() => _store.PublishStreamingResponseAsync(null!, ToAsync()), Throws.ArgumentNullException);
            Assert.That(() => _store.PublishStreamingResponseAsync("c1", null!), Throws.ArgumentNullException);
        });
    }

    private static async IAsyncEnumerable<ChatResponseUpdate> ToAsync(params ChatResponseUpdate[] updates)
    {
        foreach (ChatResponseUpdate update in updates)
        {
            await Task.Yield();
            yield return update;
        }
    }

    private static async IAsyncEnumerable<ChatResponseUpdate> ThrowingAfter(Exception exception, string text, [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        await Task.Yield();
        yield return Text(text);
        cancellationToken.ThrowIfCancellationRequested();
        throw exception;
    }

    /// <summary>Counts how often it is enumerated, and yields nothing.</summary>
    private sealed class CountingUpdates : IAsyncEnumerable<ChatResponseUpdate>
    {
        public int Enumerations { get; private set; }

        public IAsyncEnumerator<ChatResponseUpdate> GetAsyncEnumerator(CancellationToken cancellationToken = default)
        {
            Enumerations++;
            return AsyncEnumerable.Empty<ChatResponseUpdate>().GetAsyncEnumerator(cancellationToken);
        }
    }
}
