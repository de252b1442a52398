namespace StreamingCore;

/// <summary>
/// Settings of a <see cref="DefaultChatStreamingStore"/>. Validated once when the store is created (every
/// invalid setting is named in one <see cref="Microsoft.Extensions.Options.OptionsValidationException"/>);
/// bindable from configuration (<c>services.AddOptions&lt;ChatStreamingOptions&gt;().Bind(section)</c>).
/// </summary>
public sealed class ChatStreamingOptions
{
    /// <summary>
    /// Gets or sets how long an active response may go without an event before the store ends it with a
    /// Failed event ("idle timeout") and releases it. Default 2 minutes; <see cref="Timeout.InfiniteTimeSpan"/> disables it.
    /// </summary>
    public TimeSpan IdleTimeout { get; set; } = ChatStreamingConstants.DefaultIdleTimeout;

    /// <summary>Gets or sets how long a finished response stays replayable before its memory is released. Default 5 minutes; zero releases it at once.</summary>
    public TimeSpan RetentionPeriod { get; set; } = ChatStreamingConstants.DefaultRetentionPeriod;

    /// <summary>Gets or sets how many responses may be active at once, across all conversations. Default 10,000.</summary>
    public int MaxActiveResponses { get; set; } = ChatStreamingConstants.DefaultMaxActiveResponses;

    /// <summary>Gets or sets the most characters of text one response may have. Default 1,048,576.</summary>
    public int MaxResponseLength { get; set; } = ChatStreamingConstants.DefaultMaxResponseLength;

    /// <summary>Gets or sets the most live subscriptions one conversation may have. Default 100.</summary>
    public int MaxSubscribersPerConversation { get; set; } = ChatStreamingConstants.DefaultMaxSubscribersPerConversation;

    /// <summary>Gets or sets how many events each subscription (and each <see cref="IChatStreamingStore.Events"/> observer) queues before <see cref="SubscriberOverflow"/> applies. Default 256.</summary>
    public int SubscriberCapacity { get; set; } = ChatStreamingConstants.DefaultSubscriberCapacity;

    /// <summary>
    /// Gets or sets what a full subscriber queue does. Default <see cref="OverflowStrategy.Coalesce"/>: consecutive
    /// deltas merge, so no text is lost and memory stays bounded. <see cref="OverflowStrategy.Wait"/> is not valid:
    /// one slow subscriber must never slow the producer.
    /// </summary>
    public OverflowStrategy SubscriberOverflow { get; set; } = OverflowStrategy.Coalesce;
}
