using System.Globalization;
using Microsoft.Extensions.Logging;
using StackExchange.Redis;

namespace StreamingCore.Redis.Internal;

/// <summary>What the journal and the mirrors of one store share: the connection, the settings, the clock and the telemetry.</summary>
internal sealed class RedisContext(
    IConnectionMultiplexer multiplexer,
    RedisChatStreamingOptions options,
    ChatStreamingOptions storeOptions,
    TimeProvider timeProvider,
    ILogger logger,
    RedisTelemetry telemetry)
{
    public IConnectionMultiplexer Multiplexer { get; } = multiplexer;

    // Database 0: the only one Redis Cluster has.
    public IDatabase Database { get; } = multiplexer.GetDatabase(0);

    public ISubscriber Subscriber { get; } = multiplexer.GetSubscriber();

    public RedisChatStreamingOptions Options { get; } = options;

    public ChatStreamingOptions StoreOptions { get; } = storeOptions;

    public TimeProvider Time { get; } = timeProvider;

    public ILogger Logger { get; } = logger;

    public RedisTelemetry Telemetry { get; } = telemetry;

    /// <summary>This store instance's name in Redis: the owner of the responses it produces.</summary>
    public string InstanceId { get; } = Guid.NewGuid().ToString("N");

    public ConversationKeys KeysOf(string conversationId) => new(Options.KeyPrefix, conversationId);

    // StackExchange.Redis can leave a channel unsubscribed on the server while a new queue believes it is subscribed when
    // that queue's SUBSCRIBE overlaps an UNSUBSCRIBE on the same connection (seen for one channel; the stress run saw
    // instances miss whole responses while other channels were being unsubscribed). Subscribing and unsubscribing therefore
    // never overlap on a connection: one gate per multiplexer, shared by every store that uses it.
    private static readonly System.Runtime.CompilerServices.ConditionalWeakTable<IConnectionMultiplexer, SemaphoreSlim> s_subscriptionGates = [];

    /// <summary>The gate that subscribing to and unsubscribing from a channel hold on this connection.</summary>
    public SemaphoreSlim SubscriptionGate => s_subscriptionGates.GetValue(Multiplexer, static _ => new SemaphoreSlim(1, 1));

    /// <summary>Milliseconds as a script argument.</summary>
    public static string Milliseconds(TimeSpan value) => ((long)Math.Ceiling(value.TotalMilliseconds)).ToString(CultureInfo.InvariantCulture);

    /// <summary>How long a conversation's history lives after a write: the retention period, but never less than twice the lease while a response may still be written.</summary>
    public TimeSpan StreamExpiry
    {
        get
        {
            TimeSpan retention = StoreOptions.RetentionPeriod;
            TimeSpan floor = Options.LeaseDuration * 2;
            return retention > floor ? retention : floor;
        }
    }

    /// <summary>How many responses a conversation keeps in Redis: the retained ones and the active one.</summary>
    public int ResponsesKept => StoreOptions.MaxRetainedResponsesPerConversation + 1;
}
