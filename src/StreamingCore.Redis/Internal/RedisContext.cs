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
    // that queue's SUBSCRIBE overlaps another queue's UNSUBSCRIBE of the same channel (a conversation's mirror starting while
    // the previous one stops): the new mirror would never hear a live event. Subscribing and unsubscribing a channel
    // therefore never overlap: each takes its channel's gate (one of a few, by the channel's name).
    private readonly SemaphoreSlim[] _channelGates = [.. Enumerable.Range(0, 16).Select(_ => new SemaphoreSlim(1, 1))];

    /// <summary>The gate that subscribing to and unsubscribing from <paramref name="channelName"/> hold.</summary>
    public SemaphoreSlim ChannelGate(string channelName) => _channelGates[(StringComparer.Ordinal.GetHashCode(channelName) & int.MaxValue) % _channelGates.Length];

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
