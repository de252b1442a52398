using System.Runtime.CompilerServices;

namespace StreamingCore.WebSample.Tests.Support;

/// <summary>
/// The app's store, except that the first subscription to a conversation's current response (<c>afterSequence = 0</c>, how the
/// sample looks up where its new answer's <c>Started</c> is) waits for <see cref="Release"/>: it holds an answer in the window
/// where its <c>Started</c> is published but the sample does not know its position yet.
/// </summary>
internal sealed class SlowToFindStartStore(IChatStreamingStore inner) : IChatStreamingStore
{
    private readonly TaskCompletionSource _reached = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly TaskCompletionSource _release = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private int _held;

    /// <summary>Gets a task that completes when the lookup is held.</summary>
    public Task Reached => _reached.Task;

    public IObservable<ChatStreamingEvent> Events => inner.Events;

    /// <summary>Lets the held lookup go on.</summary>
    public void Release() => _release.TrySetResult();

    public ChatStreamingEvent Publish(ChatStreamingEvent streamingEvent) => inner.Publish(streamingEvent);

    public async IAsyncEnumerable<ChatStreamingEvent> SubscribeAsync(string conversationId, long afterSequence = 0, [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        if (afterSequence == 0 && Interlocked.Exchange(ref _held, 1) == 0)
        {
            _reached.TrySetResult();
            await _release.Task.WaitAsync(cancellationToken);
        }

        await foreach (ChatStreamingEvent e in inner.SubscribeAsync(conversationId, afterSequence, cancellationToken))
        {
            yield return e;
        }
    }

    public IAsyncEnumerable<ChatStreamingEvent> SubscribeAsync(string conversationId, ChatStreamPosition after, CancellationToken cancellationToken = default)
        => inner.SubscribeAsync(conversationId, after, cancellationToken);
}
