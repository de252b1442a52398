using Microsoft.Extensions.AI;

namespace StreamingCore.WebSample;

/// <summary>One call <see cref="FakeChatClient"/> received: what a real provider would have been sent.</summary>
/// <param name="Messages">The messages, as sent (system prompt, history, the new user message).</param>
/// <param name="Options">The options the provider saw (after <c>UseChatStreaming</c> removed our conversation id).</param>
public sealed record FakeChatCall(IReadOnlyList<ChatMessage> Messages, ChatOptions? Options);
