using System.Diagnostics.Metrics;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using StackExchange.Redis;
using StreamingCore;
using StreamingCore.Redis;
using StreamingCore.Redis.Internal;

namespace Microsoft.Extensions.DependencyInjection;

/// <summary>Shares the chat streaming store of every app instance through Redis.</summary>
public static class ChatStreamingRedisBuilderExtensions
{
    /// <summary>
    /// Makes <see cref="IChatStreamingStore"/> a <see cref="RedisChatStreamingStore"/> on a connection the store opens (and
    /// disposes) itself: every instance with the same Redis sees every conversation.
    /// </summary>
    /// <param name="builder">From <c>AddChatStreaming</c>.</param>
    /// <param name="configuration">A StackExchange.Redis configuration string, e.g. <c>"localhost:6379"</c> or several endpoints of a cluster. The app starts even while Redis is down (<c>abortConnect=false</c>).</param>
    /// <param name="configure">Sets the Redis options; optional.</param>
    /// <returns>The builder.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="builder"/> or <paramref name="configuration"/> is null.</exception>
    /// <exception cref="ArgumentException"><paramref name="configuration"/> is empty or white space.</exception>
    [System.Diagnostics.CodeAnalysis.SuppressMessage("ApiDesign", "RS0026:Do not add multiple public overloads with optional parameters", Justification = "The contract's two connection sources, a configuration string and a factory; their first parameters differ in type, so no call is ambiguous.")]
    public static IChatStreamingBuilder AddRedis(this IChatStreamingBuilder builder, string configuration, Action<RedisChatStreamingOptions>? configure = null)
    {
        ArgumentNullException.ThrowIfNull(builder);
        ArgumentException.ThrowIfNullOrWhiteSpace(configuration);
        ConfigurationOptions parsed = ConfigurationOptions.Parse(configuration);
        parsed.AbortOnConnectFail = false;
        return AddRedisCore(builder, _ => ConnectionMultiplexer.Connect(parsed), ownsMultiplexer: true, configure);
    }

    /// <summary>
    /// Makes <see cref="IChatStreamingStore"/> a <see cref="RedisChatStreamingStore"/> on a connection the app already has.
    /// The connection stays the caller's: the store never closes or disposes it.
    /// </summary>
    /// <param name="builder">From <c>AddChatStreaming</c>.</param>
    /// <param name="multiplexerFactory">Returns the connection to use, e.g. <c>sp =&gt; sp.GetRequiredService&lt;IConnectionMultiplexer&gt;()</c>.</param>
    /// <param name="configure">Sets the Redis options; optional.</param>
    /// <returns>The builder.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="builder"/> or <paramref name="multiplexerFactory"/> is null.</exception>
    [System.Diagnostics.CodeAnalysis.SuppressMessage("ApiDesign", "RS0026:Do not add multiple public overloads with optional parameters", Justification = "The contract's two connection sources, a configuration string and a factory; their first parameters differ in type, so no call is ambiguous.")]
    public static IChatStreamingBuilder AddRedis(this IChatStreamingBuilder builder, Func<IServiceProvider, IConnectionMultiplexer> multiplexerFactory, Action<RedisChatStreamingOptions>? configure = null)
    {
        ArgumentNullException.ThrowIfNull(builder);
        ArgumentNullException.ThrowIfNull(multiplexerFactory);
        return AddRedisCore(builder, multiplexerFactory, ownsMultiplexer: false, configure);
    }

    private static IChatStreamingBuilder AddRedisCore(
        IChatStreamingBuilder builder,
        Func<IServiceProvider, IConnectionMultiplexer> multiplexerFactory,
        bool ownsMultiplexer,
        Action<RedisChatStreamingOptions>? configure)
    {
        IServiceCollection services = builder.Services;
        OptionsBuilder<RedisChatStreamingOptions> options = services.AddOptions<RedisChatStreamingOptions>().ValidateOnStart();
        if (configure is not null)
        {
            options.Configure(configure);
        }

        services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<RedisChatStreamingOptions>, RedisChatStreamingOptionsValidator>());
        services.Replace(ServiceDescriptor.Singleton(sp => new RedisChatStreamingStore(
            multiplexerFactory(sp) ?? throw new InvalidOperationException("The IConnectionMultiplexer factory given to AddRedis returned null."),
            sp.GetRequiredService<IOptions<ChatStreamingOptions>>().Value,
            sp.GetRequiredService<IOptions<RedisChatStreamingOptions>>().Value,
            sp.GetService<TimeProvider>(),
            sp.GetService<ILoggerFactory>(),
            sp.GetService<IMeterFactory>(),
            ownsMultiplexer)));

        // One store per instance: the local store is the Redis store's, so that DefaultChatStreamingStore's statistics are this instance's.
        services.Replace(ServiceDescriptor.Singleton(sp => sp.GetRequiredService<RedisChatStreamingStore>().Local));
        services.Replace(ServiceDescriptor.Singleton<IChatStreamingStore>(sp => sp.GetRequiredService<RedisChatStreamingStore>()));
        return builder;
    }
}
