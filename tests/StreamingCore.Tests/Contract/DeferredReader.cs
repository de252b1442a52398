using System.Runtime.CompilerServices;

namespace StreamingCore.Tests.Contract;

/// <summary>
/// A Reader over the in-memory store that behaves like a store on another instance in the two ways the contract
/// suite must not depend on: a subscription registers only after the caller's first MoveNextAsync has returned (as
/// when an instance subscribes to a channel first), and each event reaches the caller after a hop to the thread pool.
/// It keeps the store's queues, errors and argument checks, so every rule still applies; only the timing moves.
/// </summary>
internal sealed class DeferredReader(IChatStreamingStore store) : IChatStreamingStore
{
    /// <summary>Completed (and replaced) whenever a subscription through this reader registers or ends.</summary>
    private TaskCompletionSource _changed = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public IObservable<ChatStreamingEvent> Events => store.Events;

    /// <summary>Gets a task that completes at the next registration or end of a subscription; take it before checking the state.</summary>
    public Task NextChange => Volatile.Read(ref _changed).Task;

    public ChatStreamingEvent Publish(ChatStreamingEvent streamingEvent) => store.Publish(streamingEvent);

    // The store's own call checks the arguments, so they are refused at the call as before.
    public IAsyncEnumerable<ChatStreamingEvent> SubscribeAsync(string conversationId, long afterSequence = 0, CancellationToken cancellationToken = default)
        => Deferred(store.SubscribeAsync(conversationId, afterSequence, cancellationToken));

    public IAsyncEnumerable<ChatStreamingEvent> SubscribeAsync(string conversationId, ChatStreamPosition after, CancellationToken cancellationToken = default)
        => Deferred(store.SubscribeAsync(conversationId, after, cancellationToken));

    private async IAsyncEnumerable<ChatStreamingEvent> Deferred(IAsyncEnumerable<ChatStreamingEvent> events, [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        await Task.Yield();
        IAsyncEnumerator<ChatStreamingEvent> enumerator = events.GetAsyncEnumerator(cancellationToken);
        try
        {
            // The store registers within its first MoveNextAsync call, before the returned task completes.
            ValueTask<bool> first = enumerator.MoveNextAsync();
            Changed();
            for (bool more = await first.ConfigureAwait(false); more; more = await enumerator.MoveNextAsync().ConfigureAwait(false))
            {
                await Task.Yield();
                yield return enumerator.Current;
            }
        }
        finally
        {
            await enumerator.DisposeAsync().ConfigureAwait(false);
            Changed();
        }
    }

    private void Changed()
        => Interlocked.Exchange(ref _changed, new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously)).TrySetResult();
}
