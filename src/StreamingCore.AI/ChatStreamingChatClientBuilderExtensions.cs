using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using StreamingCore;
using StreamingCore.AI;

namespace Microsoft.Extensions.AI;

/// <summary>Adds <see cref="ChatStreamingChatClient"/> to a <see cref="ChatClientBuilder"/> pipeline.</summary>
public static class ChatStreamingChatClientBuilderExtensions
{
    /// <summary>
    /// Adds a <see cref="ChatStreamingChatClient"/>, which publishes every call to an <see cref="IChatStreamingStore"/> while
    /// passing its updates through unchanged. Call <c>UseOpenTelemetry()</c> before this method, so that the store's response
    /// activity is a child of the chat activity.
    /// </summary>
    /// <param name="builder">The builder.</param>
    /// <param name="store">
    /// The store; <see langword="null"/> resolves <see cref="IChatStreamingStore"/> from the <see cref="IServiceProvider"/>
    /// given to <see cref="ChatClientBuilder.Build"/> (register it with <c>services.AddChatStreaming()</c>).
    /// </param>
    /// <param name="configure">Sets <see cref="ChatStreamingChatClient.ConversationIdSelector"/> or <see cref="ChatStreamingChatClient.ForwardConversationId"/>.</param>
    /// <returns>The <paramref name="builder"/>.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="builder"/> is null.</exception>
    /// <exception cref="InvalidOperationException">
    /// From <see cref="ChatClientBuilder.Build"/>: <paramref name="store"/> is null and the services have no <see cref="IChatStreamingStore"/>.
    /// </exception>
    public static ChatClientBuilder UseChatStreaming(this ChatClientBuilder builder, IChatStreamingStore? store = null, Action<ChatStreamingChatClient>? configure = null)
    {
        ArgumentNullException.ThrowIfNull(builder);
        return builder.Use((innerClient, services) =>
        {
            IChatStreamingStore resolved = store ?? services.GetService<IChatStreamingStore>() ?? throw new InvalidOperationException(
                "UseChatStreaming() without a store resolves IChatStreamingStore from the IServiceProvider given to ChatClientBuilder.Build, " +
                "and it has none: register it with services.AddChatStreaming(), or pass the store to UseChatStreaming.");
            ILogger? logger = services.GetService<ILoggerFactory>()?.CreateLogger<ChatStreamingChatClient>();
            var client = new ChatStreamingChatClient(innerClient, resolved, logger);
            configure?.Invoke(client);
            return client;
        });
    }
}
