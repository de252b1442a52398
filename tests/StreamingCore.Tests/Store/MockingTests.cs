using NSubstitute;
using NUnit.Framework;
using StreamingCore.Tests.Support;

namespace StreamingCore.Tests.Store;

/// <summary>How users unit-test their own code against <see cref="IChatStreamingStore"/> with NSubstitute.</summary>
public class MockingTests
{
    /// <summary>A consumer as users write it: a view model that shows one conversation's reply as it streams.</summary>
    private sealed class ChatViewModel(IChatStreamingStore store, string conversationId)
    {
        public ChatMessageAccumulator Message { get; } = new();

        public async Task ShowReplyAsync(CancellationToken cancellationToken)
        {
            await foreach (ChatStreamingEvent e in store.SubscribeAsync(conversationId, Message.LastSequence, cancellationToken))
            {
                Message.Apply(e);
            }
        }
    }

    /// <summary>A producer as users write it: relays model tokens to the store.</summary>
    private sealed class Responder(IChatStreamingStore store)
    {
        public void Relay(string conversationId, IEnumerable<string> tokens)
        {
            store.Publish(ChatStreamingEvent.Started(conversationId));
            foreach (string token in tokens)
            {
                store.Publish(ChatStreamingEvent.Delta(conversationId, token));
            }

            store.Publish(ChatStreamingEvent.Finished(conversationId));
        }
    }

    private static async IAsyncEnumerable<ChatStreamingEvent> Script(params ChatStreamingEvent[] events)
    {
        foreach (ChatStreamingEvent e in events)
        {
            await Task.Yield();
            yield return e;
        }
    }

    [Test]
    public async Task A_view_model_is_tested_against_a_substitute_store()
    {
        IChatStreamingStore store = Substitute.For<IChatStreamingStore>();
        store.SubscribeAsync("c", 0, Arg.Any<CancellationToken>()).Returns(Script(
            ChatStreamingEvent.Started("c"),
            ChatStreamingEvent.Delta("c", "Hello "),
            ChatStreamingEvent.Delta("c", "world!"),
            ChatStreamingEvent.Finished("c")));
        var viewModel = new ChatViewModel(store, "c");

        await viewModel.ShowReplyAsync(TestGuard.Token);

        Assert.That((viewModel.Message.Text, viewModel.Message.IsStreaming), Is.EqualTo(("Hello world!", false)));
        store.Received(1).SubscribeAsync("c", 0, Arg.Any<CancellationToken>());
    }

    [Test]
    public void A_producer_is_tested_against_a_substitute_store()
    {
        IChatStreamingStore store = Substitute.For<IChatStreamingStore>();
        var published = new List<ChatStreamingEvent>();
        store.Publish(Arg.Do<ChatStreamingEvent>(published.Add));

        new Responder(store).Relay("c", ["Hi", "!"]);

        Assert.That(published, Is.EqualTo(new[]
        {
            ChatStreamingEvent.Started("c"),
            ChatStreamingEvent.Delta("c", "Hi"),
            ChatStreamingEvent.Delta("c", "!"),
            ChatStreamingEvent.Finished("c"),
        }));
    }

    [Test]
    public void A_substitute_can_refuse_like_the_real_store()
    {
        IChatStreamingStore store = Substitute.For<IChatStreamingStore>();
        store.Publish(Arg.Is<ChatStreamingEvent>(e => e.Kind == ChatStreamingEventKind.Started))
            .Returns(_ => throw new ChatStreamingException(ChatStreamingError.TooManyActiveResponses, "c", "full"));

        Assert.That(() => new Responder(store).Relay("c", []), Throws.InstanceOf<ChatStreamingException>().With.Property("Error").EqualTo(ChatStreamingError.TooManyActiveResponses));
    }
}
