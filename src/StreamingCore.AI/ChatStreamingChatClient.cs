using Microsoft.Extensions.AI;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using StreamingCore.AI.Publishing;

namespace StreamingCore.AI;

/// <summary>
/// A chat client middleware that publishes every call of its inner client to an <see cref="IChatStreamingStore"/>, under the
/// conversation <see cref="ConversationIdSelector"/> names, while its caller receives the inner client's updates unchanged.
/// Add it with <see cref="ChatStreamingChatClientBuilderExtensions.UseChatStreaming"/>.
/// </summary>
/// <remarks>
/// <para>
/// A streaming call publishes <c>Started</c> on the first <c>MoveNextAsync</c>, before the inner client is called; then one
/// <c>Delta</c> per update whose <see cref="ChatResponseUpdate.Text"/> is not empty, yielding each update (the same instance)
/// before the next is requested; then <c>Finished</c> with the <see cref="TokenUsage"/> summed over the stream's
/// <see cref="UsageContent"/>. Nothing is buffered. A non-streaming call publishes <c>Started</c>, one <c>Delta</c> with
/// <see cref="ChatResponse.Text"/> (none when it is empty) and <c>Finished</c> with <see cref="ChatResponse.Usage"/>.
/// </para>
/// <para>
/// Contents other than text publish no <c>Delta</c>: <see cref="TextReasoningContent"/>, <see cref="FunctionCallContent"/>,
/// <see cref="FunctionResultContent"/>, <see cref="DataContent"/>, <see cref="UriContent"/> and any other kind still reach the
/// caller in their update, and are counted by kind in a Debug log message when the response ends.
/// <see cref="UsageContent"/> becomes the usage of <c>Finished</c>.
/// </para>
/// <para>
/// Failures: a conversation that already has an active response fails the call with the store's
/// <see cref="ChatStreamingException"/> (<see cref="ChatStreamingError.ResponseAlreadyStarted"/>) before the inner client is
/// called, leaving that response alone. The inner client throwing publishes <c>Failed</c> with the exception's type name and
/// message (no stack trace, no inner exception) and the same exception reaches the caller. The caller canceling publishes
/// <c>Failed("canceled")</c> and throws <see cref="OperationCanceledException"/>. A caller that stops enumerating early ends
/// the response with <c>Failed("canceled")</c> by the time the enumerator's <c>DisposeAsync</c> completes. A store refusing a
/// <c>Delta</c> or <c>Finished</c> (for example <see cref="ChatStreamingError.ResponseTooLong"/>) ends the response with
/// <c>Failed</c> and stops the call with that <see cref="ChatStreamingException"/>.
/// </para>
/// <para>
/// Telemetry: put <c>UseOpenTelemetry()</c> before <c>UseChatStreaming()</c> in the builder (outside it in the pipeline), so
/// that the store's <c>chat.response</c> activity is a child of Microsoft.Extensions.AI's chat activity.
/// </para>
/// </remarks>
public sealed class ChatStreamingChatClient : DelegatingChatClient
{
    // Where responses are published.
    private readonly IChatStreamingStore _store;

    // Receives the Debug messages of the publishing engine.
    private readonly ILogger _logger;

    // Names a call's conversation; never null.
    private Func<IEnumerable<ChatMessage>, ChatOptions?, string?> _conversationIdSelector = static (_, options) => options?.ConversationId;

    /// <summary>Initializes a new instance.</summary>
    /// <param name="innerClient">The client whose calls are published.</param>
    /// <param name="store">The store the calls are published to.</param>
    /// <exception cref="ArgumentNullException"><paramref name="innerClient"/> or <paramref name="store"/> is null.</exception>
    public ChatStreamingChatClient(IChatClient innerClient, IChatStreamingStore store)
        : this(innerClient, store, logger: null)
    {
    }

    /// <summary>The constructor <c>UseChatStreaming</c> calls, with a logger from the builder's services.</summary>
    internal ChatStreamingChatClient(IChatClient innerClient, IChatStreamingStore store, ILogger? logger)
        : base(innerClient)
    {
        ArgumentNullException.ThrowIfNull(store);
        _store = store;
        _logger = logger ?? NullLogger.Instance;
    }

    /// <summary>
    /// Gets or sets which conversation a call is published to, from the call's messages and options. The default is
    /// <see cref="ChatOptions.ConversationId"/>. When it returns <see langword="null"/>, the call is not published and is
    /// passed to the inner client untouched.
    /// </summary>
    /// <exception cref="ArgumentNullException">The value set is null.</exception>
    public Func<IEnumerable<ChatMessage>, ChatOptions?, string?> ConversationIdSelector
    {
        get => _conversationIdSelector;
        set
        {
            ArgumentNullException.ThrowIfNull(value);
            _conversationIdSelector = value;
        }
    }

    /// <summary>
    /// Gets or sets a value indicating whether the inner client sees <see cref="ChatOptions.ConversationId"/> of a published call.
    /// The default, <see langword="false"/>, gives the inner client a clone of the options with <c>ConversationId</c> set to
    /// <see langword="null"/>, because some providers (OpenAI's Responses API) treat it as their own server-side conversation
    /// and would fail or continue a conversation they do not have. The caller's options are never changed.
    /// </summary>
    public bool ForwardConversationId { get; set; }

    /// <inheritdoc />
    public override Task<ChatResponse> GetResponseAsync(IEnumerable<ChatMessage> messages, ChatOptions? options = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(messages);
        string? conversationId = _conversationIdSelector(messages, options);
        if (conversationId is null)
        {
            return base.GetResponseAsync(messages, options, cancellationToken);
        }

        return ResponsePublisher.PublishAsync(
            _store,
            conversationId,
            (Inner: InnerClient, Messages: messages, Options: OptionsForInnerClient(options)),
            static (call, ct) => call.Inner.GetResponseAsync(call.Messages, call.Options, ct),
            _logger,
            cancellationToken);
    }

    /// <inheritdoc />
    public override IAsyncEnumerable<ChatResponseUpdate> GetStreamingResponseAsync(IEnumerable<ChatMessage> messages, ChatOptions? options = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(messages);
        string? conversationId = _conversationIdSelector(messages, options);
        if (conversationId is null)
        {
            return base.GetStreamingResponseAsync(messages, options, cancellationToken);
        }

        return ResponsePublisher.PublishStreamingAsync(
            _store,
            conversationId,
            (Inner: InnerClient, Messages: messages, Options: OptionsForInnerClient(options)),
            static (call, ct) => call.Inner.GetStreamingResponseAsync(call.Messages, call.Options, ct),
            _logger,
            cancellationToken);
    }

    private ChatOptions? OptionsForInnerClient(ChatOptions? options)
    {
        if (ForwardConversationId || options?.ConversationId is null)
        {
            return options;
        }

        // A clone, never the caller's object: the caller may reuse its options for the next call or another client.
        ChatOptions clone = options.Clone();
        clone.ConversationId = null;
        return clone;
    }
}
