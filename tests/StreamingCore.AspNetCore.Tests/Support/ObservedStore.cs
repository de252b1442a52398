using System.Runtime.CompilerServices;

namespace StreamingCore.AspNetCore.Tests.Support;

/// <summary>
/// Wraps the real store and counts subscriptions: <see cref="Subscribed"/> when a subscription's first MoveNextAsync has
/// been called (the store registers or refuses it synchronously in there), <see cref="Released"/> when it is disposed.
/// </summary>
internal sealed class ObservedStore(DefaultChatStreamingStore inner) : IChatStreamingStore
{
    public DefaultChatStreamingStore Inner { get; } = inner;

    public Counter Subscribed { get; } = new();

    public Counter Released { get; } = new();

    public IObservable<ChatStreamingEvent> Events => Inner.Events;

    public ChatStreamingEvent Publish(ChatStreamingEvent streamingEvent) => Inner.Publish(streamingEvent);

    public IAsyncEnumerable<ChatStreamingEvent> SubscribeAsync(string conversationId, long afterSequence = 0, CancellationToken cancellationToken = default)
        => Observe(Inner.SubscribeAsync(conversationId, afterSequence, cancellationToken), cancellationToken);

    public IAsyncEnumerable<ChatStreamingEvent> SubscribeAsync(string conversationId, ChatStreamPosition after, CancellationToken cancellationToken = default)
        => Observe(Inner.SubscribeAsync(conversationId, after, cancellationToken), cancellationToken);

    private async IAsyncEnumerable<ChatStreamingEvent> Observe(IAsyncEnumerable<ChatStreamingEvent> subscription, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        IAsyncEnumerator<ChatStreamingEvent> events = subscription.GetAsyncEnumerator(cancellationToken);
        try
        {
            ValueTask<bool> first = events.MoveNextAsync();
            Subscribed.Increment();
            if (!await first)
            {
                yield break;
            }

            yield return events.Current;
            while (await events.MoveNextAsync())
            {
                yield return events.Current;
            }
        }
        finally
        {
            await events.DisposeAsync();
            Released.Increment();
        }
    }
}
