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

    /// <summary>
    /// Gets or sets the most events one response may have, its Started and terminal event included (a response of empty
    /// deltas costs memory too). A delta beyond it is refused with <see cref="ChatStreamingError.ResponseTooLong"/>; the
    /// terminal event always fits. Default 262,144 (a 1 MiB response of 4-character tokens).
    /// </summary>
    public int MaxEventsPerResponse { get; set; } = ChatStreamingConstants.DefaultMaxEventsPerResponse;

    /// <summary>
    /// Gets or sets how many ended responses one conversation retains for replay; when one more ends, the oldest is
    /// released (a later resume into it gets <see cref="ChatStreamingError.SequenceNotRetained"/>). Default 16.
    /// </summary>
    public int MaxRetainedResponsesPerConversation { get; set; } = ChatStreamingConstants.DefaultMaxRetainedResponsesPerConversation;

    /// <summary>
    /// Gets or sets about how many bytes the ended responses of all conversations may hold for replay (text at two bytes a
    /// character, plus per-event bookkeeping); beyond it the store releases the responses that ended first, across all
    /// conversations. Default 256 MiB.
    /// </summary>
    public long MaxRetainedBytes { get; set; } = ChatStreamingConstants.DefaultMaxRetainedBytes;

    /// <summary>
    /// Gets or sets how many subscriptions, across the store, may wait on conversations that have no active or retained
    /// response (a client that connects before its producer; what anyone can open in bulk with made-up ids). One more is
    /// refused with <see cref="ChatStreamingError.TooManySubscribers"/>, and creates nothing. A client that is up to date
    /// with a conversation the store retains is not counted: that conversation is already bounded. Default 10,000.
    /// </summary>
    public int MaxWaitingSubscribers { get; set; } = ChatStreamingConstants.DefaultMaxWaitingSubscribers;

    /// <summary>
    /// Gets or sets how long a subscription may wait for a response to start before it ends with
    /// <see cref="ChatStreamingError.WaitTimedOut"/> (subscribe again to keep waiting); it releases waiters that their
    /// consumer abandoned. Default 10 minutes; <see cref="Timeout.InfiniteTimeSpan"/> disables it.
    /// </summary>
    public TimeSpan WaitingSubscriberTimeout { get; set; } = ChatStreamingConstants.DefaultWaitingSubscriberTimeout;

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
