namespace StreamingCore.Benchmarks.Infrastructure;

/// <summary>The same delta for every baseline, so only the distribution mechanism differs.</summary>
internal static class Tokens
{
    public static readonly ChatStreamingEvent Delta = ChatStreamingEvent.Delta("conversation-0", "tok");

    public static ChatStreamingEvent DeltaFor(string conversationId) => ChatStreamingEvent.Delta(conversationId, "tok");
}
