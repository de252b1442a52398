using System.Diagnostics.Metrics;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using StreamingCore;

namespace Microsoft.Extensions.DependencyInjection;

/// <summary>Registers StreamingCore's chat streaming store.</summary>
public static class ChatStreamingServiceCollectionExtensions
{
    /// <summary>
    /// Registers <see cref="IChatStreamingStore"/> (and <see cref="DefaultChatStreamingStore"/>) as a singleton. Safe to call
    /// more than once: the store is registered once, each <paramref name="configure"/> is applied. The store uses the
    /// container's <see cref="TimeProvider"/> when one is registered, else <see cref="TimeProvider.System"/>, and its
    /// <see cref="ILogger{TCategoryName}"/> and <see cref="IMeterFactory"/> when logging and metrics are registered. Options are validated
    /// when the host starts (<c>ValidateOnStart</c>), and at the latest when the store is first resolved; one
    /// <see cref="OptionsValidationException"/> names every invalid setting.
    /// </summary>
    /// <param name="services">The service collection.</param>
    /// <param name="configure">Changes to the <see cref="ChatStreamingOptions"/>; bind configuration with <c>services.AddOptions&lt;ChatStreamingOptions&gt;().Bind(section)</c>.</param>
    /// <returns>A builder that integration packages extend (its <see cref="IChatStreamingBuilder.Services"/> is <paramref name="services"/>).</returns>
    /// <exception cref="ArgumentNullException"><paramref name="services"/> is null.</exception>
    public static IChatStreamingBuilder AddChatStreaming(this IServiceCollection services, Action<ChatStreamingOptions>? configure = null)
    {
        ArgumentNullException.ThrowIfNull(services);
        OptionsBuilder<ChatStreamingOptions> options = services.AddOptions<ChatStreamingOptions>().ValidateOnStart();
        if (configure is not null)
        {
            options.Configure(configure);
        }

        services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<ChatStreamingOptions>, ChatStreamingOptionsValidator>());
        services.TryAddSingleton(sp => new DefaultChatStreamingStore(
            sp.GetRequiredService<IOptions<ChatStreamingOptions>>().Value,
            sp.GetService<TimeProvider>(),
            sp.GetService<ILogger<DefaultChatStreamingStore>>(),
            sp.GetService<IMeterFactory>()));
        services.TryAddSingleton<IChatStreamingStore>(sp => sp.GetRequiredService<DefaultChatStreamingStore>());
        return new ChatStreamingBuilder(services);
    }
}
