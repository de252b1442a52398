using NSubstitute;
using NUnit.Framework;
using StreamingCore.AspNetCore.Tests.Support;

namespace StreamingCore.AspNetCore.Tests.Following;

public class ConversationFollowerTests
{
    private const string Conversation = "follow";
    private static readonly DateTimeOffset Now = new(2026, 1, 1, 0, 0, 0, TimeSpan.Zero);

    [Test]
    public async Task After_a_terminal_event_it_subscribes_again_after_that_events_position()
    {
        IChatStreamingStore store = Substitute.For<IChatStreamingStore>();
        store.SubscribeAsync(Conversation, 0, Arg.Any<CancellationToken>()).Returns(Events(Started(1), Finished(2)));
        store.SubscribeAsync(Conversation, Position(2), Arg.Any<CancellationToken>()).Returns(Events(Started(3), Finished(4)));
        store.SubscribeAsync(Conversation, Position(4), Arg.Any<CancellationToken>()).Returns(Events(Started(5)));
        await using var follower = new ConversationFollower(store, Conversation, after: null, CancellationToken.None);

        List<long> sequences = [];
        for (int i = 0; i < 5; i++)
        {
            Assert.That(await follower.MoveNextAsync().Guarded(), Is.True);
            sequences.Add(follower.Current.Sequence);
        }

        Assert.That(sequences, Is.EqualTo(new long[] { 1, 2, 3, 4, 5 }));
    }

    [Test]
    public async Task A_waiting_subscription_that_the_store_ends_with_an_unlisted_error_is_renewed_from_the_same_position()
    {
        // The core's coming "waiting subscription expired" code: any ChatStreamingError the follower does not list.
        var expired = new ChatStreamingException((ChatStreamingError)1000, Conversation, "waited too long");
        IChatStreamingStore store = Substitute.For<IChatStreamingStore>();
        store.SubscribeAsync(Conversation, Position(2), Arg.Any<CancellationToken>())
            .Returns(Throwing(expired), Throwing(expired), Events(Started(3)));
        await using var follower = new ConversationFollower(store, Conversation, Position(2), CancellationToken.None);

        Assert.That(await follower.MoveNextAsync().Guarded(), Is.True);

        Assert.That(follower.Current.Sequence, Is.EqualTo(3));
        store.Received(3).SubscribeAsync(Conversation, Position(2), Arg.Any<CancellationToken>());
    }

    [TestCase(ChatStreamingError.SequenceNotRetained)]
    [TestCase(ChatStreamingError.TooManySubscribers)]
    [TestCase(ChatStreamingError.SubscriberOverflow)]
    public async Task A_refusal_reaches_the_caller(ChatStreamingError error)
    {
        IChatStreamingStore store = Substitute.For<IChatStreamingStore>();
        store.SubscribeAsync(Conversation, Position(2), Arg.Any<CancellationToken>())
            .Returns(Throwing(new ChatStreamingException(error, Conversation, "refused")));
        var follower = new ConversationFollower(store, Conversation, Position(2), CancellationToken.None);

        var thrown = await Assert.ThrowsAsync<ChatStreamingException>(async () => await follower.MoveNextAsync());

        Assert.That(thrown!.Error, Is.EqualTo(error));
    }

    [Test]
    public async Task An_error_after_an_event_of_the_same_subscription_is_never_taken_for_an_expired_wait()
    {
        IChatStreamingStore store = Substitute.For<IChatStreamingStore>();
        store.SubscribeAsync(Conversation, 0, Arg.Any<CancellationToken>())
            .Returns(Events(new ChatStreamingException((ChatStreamingError)1000, Conversation, "broken"), Started(1)));
        await using var follower = new ConversationFollower(store, Conversation, after: null, CancellationToken.None);
        Assert.That(await follower.MoveNextAsync().Guarded(), Is.True);

        await Assert.ThrowsAsync<ChatStreamingException>(async () => await follower.MoveNextAsync());
    }

    [Test]
    public async Task A_subscription_that_ends_without_an_event_ends_the_follower_instead_of_spinning()
    {
        IChatStreamingStore store = Substitute.For<IChatStreamingStore>();
        store.SubscribeAsync(Conversation, Position(2), Arg.Any<CancellationToken>()).Returns(Events());
        await using var follower = new ConversationFollower(store, Conversation, Position(2), CancellationToken.None);

        Assert.That(await follower.MoveNextAsync().Guarded(), Is.False);
        store.Received(1).SubscribeAsync(Conversation, Position(2), Arg.Any<CancellationToken>());
    }

    private static ChatStreamPosition Position(long sequence) => new("epoch", sequence);

    private static ChatStreamingEvent Started(long sequence) => ChatStreamingEvent.FromPublished(ChatStreamingEventKind.Started, Conversation, Position(sequence), Now);

    private static ChatStreamingEvent Finished(long sequence) => ChatStreamingEvent.FromPublished(ChatStreamingEventKind.Finished, Conversation, Position(sequence), Now);

    private static async IAsyncEnumerable<ChatStreamingEvent> Events(params ChatStreamingEvent[] events)
    {
        foreach (ChatStreamingEvent e in events)
        {
            await Task.Yield();
            yield return e;
        }
    }

    /// <summary>Yields <paramref name="before"/>, then throws <paramref name="error"/>.</summary>
    private static async IAsyncEnumerable<ChatStreamingEvent> Events(ChatStreamingException error, params ChatStreamingEvent[] before)
    {
        foreach (ChatStreamingEvent e in before)
        {
            await Task.Yield();
            yield return e;
        }

        throw error;
    }

    private static IAsyncEnumerable<ChatStreamingEvent> Throwing(ChatStreamingException error) => Events(error);
}
