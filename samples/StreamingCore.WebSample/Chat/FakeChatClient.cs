using System.Collections.Concurrent;
using System.Runtime.CompilerServices;
using Microsoft.Extensions.AI;

namespace StreamingCore.WebSample;

/// <summary>
/// The sample's default <see cref="IChatClient"/>: no network, no key. It answers the last user message with
/// <see cref="FakeChatModel"/>'s canned text, one update per token, paced on the app's <see cref="TimeProvider"/>, then an
/// update with the usage and <see cref="ChatFinishReason.Stop"/>. It records every call, so a test sees what a real
/// provider would have been sent. Replace it with a real provider as the sample's README shows.
/// </summary>
public sealed class FakeChatClient(FakeChatModel model) : IChatClient
{
    // Every call received, in order.
    private readonly ConcurrentQueue<FakeChatCall> _calls = new();

    /// <summary>Gets the calls received so far, in order.</summary>
    public IReadOnlyList<FakeChatCall> Calls => [.. _calls];

    /// <inheritdoc />
    public async Task<ChatResponse> GetResponseAsync(IEnumerable<ChatMessage> messages, ChatOptions? options = null, CancellationToken cancellationToken = default)
        => await GetStreamingResponseAsync(messages, options, cancellationToken).ToChatResponseAsync(cancellationToken).ConfigureAwait(false);

    /// <inheritdoc />
    public async IAsyncEnumerable<ChatResponseUpdate> GetStreamingResponseAsync(
        IEnumerable<ChatMessage> messages, ChatOptions? options = null, [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(messages);
        ChatMessage[] sent = [.. messages];
        _calls.Enqueue(new FakeChatCall(sent, options));
        string question = sent.LastOrDefault(m => m.Role == ChatRole.User)?.Text ?? string.Empty;

        string responseId = $"fake-{_calls.Count}";
        int outputTokens = 0;
        await foreach (string token in model.StreamAsync(question, cancellationToken).ConfigureAwait(false))
        {
            outputTokens++;
            yield return new ChatResponseUpdate(ChatRole.Assistant, token) { ResponseId = responseId, MessageId = responseId, ModelId = "fake" };
        }

        // A rough count, like a tokenizer would give: about four characters per token.
        long inputTokens = sent.Sum(m => (long)m.Text.Length) / 4 + 1;
        yield return new ChatResponseUpdate
        {
            Role = ChatRole.Assistant,
            ResponseId = responseId,
            MessageId = responseId,
            FinishReason = ChatFinishReason.Stop,
            Contents = [new UsageContent(new UsageDetails { InputTokenCount = inputTokens, OutputTokenCount = outputTokens, TotalTokenCount = inputTokens + outputTokens })],
        };
    }

    /// <inheritdoc />
    public object? GetService(Type serviceType, object? serviceKey = null)
    {
        ArgumentNullException.ThrowIfNull(serviceType);
        return serviceKey is null && serviceType.IsInstanceOfType(this) ? this : null;
    }

    /// <inheritdoc />
    public void Dispose()
    {
        // Nothing to release.
    }
}
