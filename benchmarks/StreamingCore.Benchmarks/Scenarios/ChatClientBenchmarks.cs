using BenchmarkDotNet.Attributes;
using Microsoft.Extensions.AI;
using StreamingCore.AI;

namespace StreamingCore.Benchmarks.Scenarios;

/// <summary>
/// StreamingCore.AI's middleware: what <c>UseChatStreaming()</c> adds per update to an <see cref="IChatClient"/> stream, against
/// the bare client's stream in the same run. The provider yields pre-built updates synchronously, so the ratio is the
/// middleware's own cost (a Delta published per update, plus Started, Finished and an options clone spread over the call).
/// </summary>
[MemoryDiagnoser]
public class ChatClientBenchmarks
{
    private const int Updates = 1_000;

    private readonly List<ChatMessage> _messages = [new(ChatRole.User, "Hi")];
    private readonly ChatOptions _options = new() { ConversationId = "conversation-0" };
    private IChatClient _bare = null!;
    private IChatClient _published = null!;
    private DefaultChatStreamingStore _store = null!;

    [GlobalSetup]
    public void Setup()
    {
        ChatResponseUpdate[] updates = Enumerable.Range(0, Updates).Select(_ => new ChatResponseUpdate(ChatRole.Assistant, "tok")).ToArray();
        _bare = new InstantChatClient(updates);

        // Nothing retained after a response ends and no idle timer, as in StoreDriver: memory stays flat across iterations.
        _store = new DefaultChatStreamingStore(new ChatStreamingOptions { RetentionPeriod = TimeSpan.Zero, IdleTimeout = Timeout.InfiniteTimeSpan });
        _published = new ChatClientBuilder(_bare).UseChatStreaming(_store).Build();
    }

    [GlobalCleanup]
    public void Cleanup() => _store.Dispose();

    [Benchmark(Baseline = true, OperationsPerInvoke = Updates, Description = "IChatClient stream (bare)")]
    public Task<int> Bare() => ReadAsync(_bare);

    [Benchmark(OperationsPerInvoke = Updates, Description = "IChatClient stream through UseChatStreaming")]
    public Task<int> UseChatStreaming() => ReadAsync(_published);

    [Benchmark(OperationsPerInvoke = Updates, Description = "IChatClient stream + hand-written Publish loop")]
    public async Task<int> HandWritten()
    {
        // The loop users write today without the package (no failure handling): what the middleware is worth against.
        string conversationId = _options.ConversationId!;
        int characters = 0;
        _store.Publish(ChatStreamingEvent.Started(conversationId));
        await foreach (ChatResponseUpdate update in _bare.GetStreamingResponseAsync(_messages, _options).ConfigureAwait(false))
        {
            string text = update.Text;
            if (text.Length > 0)
            {
                _store.Publish(ChatStreamingEvent.Delta(conversationId, text));
            }

            characters += text.Length;
        }

        _store.Publish(ChatStreamingEvent.Finished(conversationId));
        return characters;
    }

    private async Task<int> ReadAsync(IChatClient client)
    {
        int characters = 0;
        await foreach (ChatResponseUpdate update in client.GetStreamingResponseAsync(_messages, _options).ConfigureAwait(false))
        {
            characters += update.Text.Length;
        }

        return characters;
    }

    /// <summary>A provider whose updates are ready at once: every MoveNextAsync completes synchronously.</summary>
    private sealed class InstantChatClient(ChatResponseUpdate[] updates) : IChatClient
    {
        public Task<ChatResponse> GetResponseAsync(IEnumerable<ChatMessage> messages, ChatOptions? options = null, CancellationToken cancellationToken = default)
            => Task.FromResult(new ChatResponse(new ChatMessage(ChatRole.Assistant, "tok")));

        public IAsyncEnumerable<ChatResponseUpdate> GetStreamingResponseAsync(IEnumerable<ChatMessage> messages, ChatOptions? options = null, CancellationToken cancellationToken = default)
            => new Stream(updates);

        public object? GetService(Type serviceType, object? serviceKey = null) => null;

        public void Dispose()
        {
        }

        private sealed class Stream(ChatResponseUpdate[] updates) : IAsyncEnumerable<ChatResponseUpdate>, IAsyncEnumerator<ChatResponseUpdate>
        {
            private int _index = -1;

            public ChatResponseUpdate Current => updates[_index];

            public IAsyncEnumerator<ChatResponseUpdate> GetAsyncEnumerator(CancellationToken cancellationToken = default) => this;

            public ValueTask<bool> MoveNextAsync() => new(++_index < updates.Length);

            public ValueTask DisposeAsync() => default;
        }
    }
}
