namespace Microsoft.Extensions.DependencyInjection;

/// <summary>
/// What <see cref="ChatStreamingServiceCollectionExtensions.AddChatStreaming"/> returns: the integration packages add
/// to it (for example a Redis-backed store), so that they are only reachable once the chat store is registered.
/// </summary>
public interface IChatStreamingBuilder
{
    /// <summary>Gets the service collection the chat store is registered in.</summary>
    IServiceCollection Services { get; }
}
