using System.Runtime.CompilerServices;

namespace StreamingCore.Client;

/// <summary>
/// Reads a StreamingCore SSE endpoint (<c>MapChatStreamingEvents</c>) and yields its <see cref="ChatStreamingEvent"/>s,
/// resuming by itself after a dropped connection so that the caller sees every event exactly once, in order.
/// </summary>
/// <remarks>
/// <para>
/// A typed client: register it with <c>services.AddHttpClient&lt;ChatStreamingClient&gt;(c =&gt; c.BaseAddress = ...)</c>;
/// the options come from the container when a <see cref="ChatStreamingClientOptions"/> is registered. It holds no state between
/// calls: each enumeration of <see cref="StreamAsync"/> has its own connection and position, so one instance serves any number
/// of concurrent streams. It needs no ASP.NET Core, so a console, MAUI or Blazor WebAssembly app can use it.
/// </para>
/// <para>
/// The <see cref="HttpClient"/>'s <see cref="HttpClient.Timeout"/> bounds each connection attempt until the response headers
/// arrive, not the stream; the endpoint's heartbeats keep an idle stream open.
/// </para>
/// </remarks>
public sealed class ChatStreamingClient
{
    // The caller's client (from IHttpClientFactory, typically); never disposed here.
    private readonly HttpClient _httpClient;

    // The options' values, copied and validated when the client was created.
    private readonly ResumePolicy _policy;

    /// <summary>Initializes a new instance.</summary>
    /// <param name="httpClient">The client that sends the requests; relative request URIs resolve against its <see cref="HttpClient.BaseAddress"/>.</param>
    /// <param name="options">The settings; <see langword="null"/> for the defaults. Copied: later changes to the instance have no effect.</param>
    /// <exception cref="ArgumentNullException"><paramref name="httpClient"/> is <see langword="null"/>.</exception>
    /// <exception cref="Microsoft.Extensions.Options.OptionsValidationException">A setting of <paramref name="options"/> is invalid (the message names every one).</exception>
    public ChatStreamingClient(HttpClient httpClient, ChatStreamingClientOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(httpClient);
        options ??= new ChatStreamingClientOptions();
        ChatStreamingClientOptionsValidator.ThrowIfInvalid(options);
        _httpClient = httpClient;
        _policy = new ResumePolicy(options.MaxReconnectionDelay, options.MaxConsecutiveFailures, options.TimeProvider);
    }

    /// <summary>
    /// Streams the events of one conversation's SSE endpoint, from <paramref name="after"/> (or the conversation's current
    /// response) through every later response, until the caller stops enumerating or cancels.
    /// </summary>
    /// <remarks>
    /// On a dropped connection, a normal end of the body or a 5xx status the client reconnects with <c>Last-Event-ID</c> set to
    /// the last event it yielded, after the delay of the server's <c>retry:</c> field (1 second until one arrives), each wait capped
    /// by <see cref="ChatStreamingClientOptions.MaxReconnectionDelay"/>. It never yields an event at or before one it has already
    /// yielded, even if a server replays from an earlier point. Events of a type it does not know and comments (heartbeats) are
    /// skipped. A 204 ends the stream (the WHATWG way for a server to say "stop").
    /// </remarks>
    /// <param name="requestUri">The endpoint of the conversation, e.g. <c>/api/conversations/c1/events</c>; relative to the <see cref="HttpClient.BaseAddress"/>.</param>
    /// <param name="after">Where to resume: the <see cref="ChatStreamingEvent.Position"/> of the last event the caller has; <see langword="null"/> for the conversation's current response from its start.</param>
    /// <param name="cancellationToken">Stops the stream; combined with the token given to <c>WithCancellation</c>.</param>
    /// <returns>The events, each once, in order, with the server's epoch, sequence and timestamp.</returns>
    /// <exception cref="ArgumentException"><paramref name="requestUri"/> is null, empty or white space, or <paramref name="after"/> is <see langword="default"/>.</exception>
    /// <exception cref="ChatStreamingException">
    /// From the enumeration: the server answered 410, as <see cref="ChatStreamingError.SequenceNotRetained"/> (the position is no longer
    /// retained, is from another epoch or is ahead of the stream), or 429, as <see cref="ChatStreamingError.TooManySubscribers"/>.
    /// </exception>
    /// <exception cref="HttpRequestException">
    /// From the enumeration: any other 4xx (with its <see cref="HttpRequestException.StatusCode"/> and the problem's <c>detail</c> in the
    /// message; never retried); <see cref="ChatStreamingClientOptions.MaxConsecutiveFailures"/> attempts in a row failed (the last failure,
    /// with its status code for a 5xx); or a response that is not the endpoint's protocol (<see cref="HttpRequestError.InvalidResponse"/>).
    /// </exception>
    /// <exception cref="OperationCanceledException">From the pending <c>MoveNextAsync</c>, when the stream is cancelled.</exception>
    public IAsyncEnumerable<ChatStreamingEvent> StreamAsync(string requestUri, ChatStreamPosition? after = null, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(requestUri);
        if (after is { Epoch: null })
        {
            throw new ArgumentException("The default ChatStreamPosition is no position; pass null to start from the current response.", nameof(after));
        }

        return StreamCoreAsync(new Uri(requestUri, UriKind.RelativeOrAbsolute), after, cancellationToken);
    }

    // Its own iterator, so that every enumeration of the returned sequence gets its own connection and position.
    private async IAsyncEnumerable<ChatStreamingEvent> StreamCoreAsync(
        Uri requestUri, ChatStreamPosition? after, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        var stream = new ResumingEventStream(_httpClient, requestUri, after, _policy);
        await foreach (ChatStreamingEvent streamingEvent in stream.ReadAsync(cancellationToken).ConfigureAwait(false))
        {
            yield return streamingEvent;
        }
    }
}
