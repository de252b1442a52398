namespace StreamingCore.Benchmarks.Infrastructure;

/// <summary>
/// Keeps conversations streaming through a store with subscribers attached, the way an application does:
/// each response runs for <see cref="DeltasPerResponse"/> deltas, then finishes and the next one starts (with
/// its subscribers re-attached), so retained memory stays bounded however many iterations a benchmark runs.
/// The cost of those restarts is part of what is measured, spread over the deltas of a response.
/// </summary>
internal sealed class StoreDriver : IDisposable
{
    public const int DeltasPerResponse = 1_000;

    private readonly string[] _ids;
    private readonly ChatStreamingEvent[] _deltas;
    private readonly int[] _published;
    private readonly IAsyncEnumerator<ChatStreamingEvent>[][] _subscribers;

    public StoreDriver(int conversations, int subscribersPerConversation, ChatStreamingOptions? options = null)
    {
        Store = new DefaultChatStreamingStore(options ?? new ChatStreamingOptions
        {
            RetentionPeriod = TimeSpan.Zero,
            IdleTimeout = Timeout.InfiniteTimeSpan,
            MaxSubscribersPerConversation = Math.Max(100, subscribersPerConversation),
            MaxActiveResponses = Math.Max(10_000, conversations),
        });
        _ids = Enumerable.Range(0, conversations).Select(i => $"conversation-{i}").ToArray();
        _deltas = _ids.Select(id => ChatStreamingEvent.Delta(id, "tok")).ToArray();
        _published = new int[conversations];
        _subscribers = new IAsyncEnumerator<ChatStreamingEvent>[conversations][];
        for (int c = 0; c < conversations; c++)
        {
            _subscribers[c] = new IAsyncEnumerator<ChatStreamingEvent>[subscribersPerConversation];
            Start(c);
        }
    }

    public DefaultChatStreamingStore Store { get; }

    public int Conversations => _ids.Length;

    /// <summary>Publishes one delta to a conversation and lets each of its subscribers receive it.</summary>
    public async ValueTask<long> PublishAndReceiveAsync(int conversation)
    {
        if (_published[conversation] == DeltasPerResponse)
        {
            await RestartAsync(conversation).ConfigureAwait(false);
        }

        _published[conversation]++;
        Store.Publish(_deltas[conversation]);
        long sum = 0;
        foreach (IAsyncEnumerator<ChatStreamingEvent> subscriber in _subscribers[conversation])
        {
            await subscriber.MoveNextAsync().ConfigureAwait(false);
            sum += subscriber.Current.Sequence;
        }

        return sum;
    }

    private void Start(int conversation)
    {
        Store.Publish(ChatStreamingEvent.Started(_ids[conversation]));
        IAsyncEnumerator<ChatStreamingEvent>[] subscribers = _subscribers[conversation];
        for (int s = 0; s < subscribers.Length; s++)
        {
            subscribers[s] = Store.SubscribeAsync(_ids[conversation]).GetAsyncEnumerator();

            // The replayed Started: completes synchronously.
            if (!subscribers[s].MoveNextAsync().AsTask().GetAwaiter().GetResult())
            {
                throw new InvalidOperationException("The subscription ended before Started.");
            }
        }

        _published[conversation] = 0;
    }

    private async ValueTask RestartAsync(int conversation)
    {
        Store.Publish(ChatStreamingEvent.Finished(_ids[conversation]));
        foreach (IAsyncEnumerator<ChatStreamingEvent> subscriber in _subscribers[conversation])
        {
            // Finished, then the end of the subscription.
            await subscriber.MoveNextAsync().ConfigureAwait(false);
            await subscriber.MoveNextAsync().ConfigureAwait(false);
            await subscriber.DisposeAsync().ConfigureAwait(false);
        }

        Start(conversation);
    }

    public void Dispose() => Store.Dispose();
}
