using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;

namespace StreamingCore.AspNetCore;

/// <summary>What a connection takes from the app's services: the store, its clock, the validated options and the shutdown signal.</summary>
internal readonly record struct TransportServices(
    IChatStreamingStore Store,
    TimeProvider TimeProvider,
    ChatStreamingHttpOptions Options,
    CancellationToken ApplicationStopping)
{
    public static TransportServices From(IServiceProvider services)
    {
        IChatStreamingStore store = services.GetService<IChatStreamingStore>()
            ?? throw new InvalidOperationException(
                "No IChatStreamingStore is registered: call services.AddChatStreaming() before mapping the chat streaming endpoints.");

        // The store takes the container's TimeProvider when one is registered; heartbeats and durations use the same clock.
        TimeProvider timeProvider = services.GetService<TimeProvider>() ?? TimeProvider.System;
        ChatStreamingHttpOptions options = services.GetService<IOptions<ChatStreamingHttpOptions>>()?.Value ?? new ChatStreamingHttpOptions();
        ChatStreamingHttpOptionsValidator.ThrowIfInvalid(options);
        CancellationToken stopping = services.GetService<IHostApplicationLifetime>()?.ApplicationStopping ?? CancellationToken.None;
        return new TransportServices(store, timeProvider, options, stopping);
    }

    public static TransportServices From(HttpContext context) => From(context.RequestServices);
}
