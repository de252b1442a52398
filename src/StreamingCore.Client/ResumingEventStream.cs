using System.Net;
using System.Net.Http.Headers;
using System.Net.ServerSentEvents;
using System.Runtime.CompilerServices;
using System.Runtime.ExceptionServices;
using System.Text.Json;
using StreamingCore.Client.Wire;

namespace StreamingCore.Client;

/// <summary>
/// One enumeration of <see cref="ChatStreamingClient.StreamAsync"/>: reads the endpoint's SSE stream and, when the connection
/// drops, the body ends or the server answers 5xx, connects again with <c>Last-Event-ID</c> after the reconnection delay,
/// skipping any event at or before the last one it yielded. Not thread-safe; one instance per enumeration.
/// </summary>
internal sealed class ResumingEventStream(HttpClient httpClient, Uri requestUri, ChatStreamPosition? after, ResumePolicy policy)
{
    // The position of the last event yielded (or the caller's starting point): sent as Last-Event-ID, and the floor below which events are skipped.
    private ChatStreamPosition? _last = after;

    // The conversation of the last event yielded, for the exceptions that end the stream.
    private string? _conversationId;

    // The wait before a reconnection: the server's last retry: field, until then the WHATWG client default.
    private TimeSpan _reconnectionDelay = ChatStreamingClientConstants.DefaultReconnectionDelay;

    // Connection attempts that failed in a row (transport error or 5xx); a 200 resets it.
    private int _consecutiveFailures;

    public async IAsyncEnumerable<ChatStreamingEvent> ReadAsync([EnumeratorCancellation] CancellationToken cancellationToken)
    {
        bool reconnecting = false;
        while (true)
        {
            using HttpResponseMessage? response = await ConnectAsync(reconnecting, cancellationToken).ConfigureAwait(false);
            if (response is null)
            {
                yield break;
            }

            reconnecting = true;
            Stream body = await response.Content.ReadAsStreamAsync(cancellationToken).ConfigureAwait(false);
            SseParser<WireEvent?> parser = SseParser.Create(body, WireEvent.Parse);
            await using (IAsyncEnumerator<SseItem<WireEvent?>> items = parser.EnumerateAsync(cancellationToken).GetAsyncEnumerator(cancellationToken))
            {
                while (await TryMoveNextAsync(items).ConfigureAwait(false))
                {
                    if (TryAccept(items.Current, out ChatStreamingEvent streamingEvent))
                    {
                        yield return streamingEvent;
                    }
                }
            }

            // The reconnection time persists across connections (WHATWG); a stream without retry: keeps the previous one.
            if (parser.ReconnectionInterval != Timeout.InfiniteTimeSpan)
            {
                _reconnectionDelay = parser.ReconnectionInterval;
            }
        }
    }

    /// <summary>
    /// Connects, waiting the reconnection delay before every attempt but the enumeration's first, until the server answers 200
    /// (the response) or 204 (<see langword="null"/>: WHATWG's "stop reconnecting"). A transport error or a 5xx is retried until
    /// <see cref="ResumePolicy.MaxConsecutiveFailures"/> attempts in a row failed; any other status ends the stream with an exception.
    /// </summary>
    private async Task<HttpResponseMessage?> ConnectAsync(bool reconnecting, CancellationToken cancellationToken)
    {
        bool wait = reconnecting;
        while (true)
        {
            cancellationToken.ThrowIfCancellationRequested();
            if (wait)
            {
                await DelayAsync(cancellationToken).ConfigureAwait(false);
            }

            wait = true;
            using HttpRequestMessage request = CreateRequest();
            HttpResponseMessage response;
            try
            {
                response = await httpClient.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, cancellationToken).ConfigureAwait(false);
            }
            catch (HttpRequestException ex)
            {
                CountFailure(ex);
                continue;
            }
            catch (TaskCanceledException ex) when (!cancellationToken.IsCancellationRequested)
            {
                // HttpClient.Timeout passed before the response headers arrived.
                CountFailure(new HttpRequestException(HttpRequestError.Unknown, $"GET {requestUri} timed out before the response headers arrived.", ex));
                continue;
            }

            if (response.StatusCode == HttpStatusCode.OK)
            {
                EnsureEventStream(response);
                _consecutiveFailures = 0;
                return response;
            }

            using (response)
            {
                if (response.StatusCode == HttpStatusCode.NoContent)
                {
                    return null;
                }

                string? detail = await ReadProblemDetailAsync(response, cancellationToken).ConfigureAwait(false);
                if ((int)response.StatusCode is >= 500 and <= 599)
                {
                    CountFailure(new HttpRequestException(HttpRequestError.Unknown, Describe(response, detail), null, response.StatusCode));
                    continue;
                }

                throw Refusal(response, detail);
            }
        }
    }

    private HttpRequestMessage CreateRequest()
    {
        var request = new HttpRequestMessage(HttpMethod.Get, requestUri);
        request.Headers.Accept.Add(new MediaTypeWithQualityHeaderValue(ChatStreamingClientConstants.EventStreamMediaType));
        request.Headers.CacheControl = new CacheControlHeaderValue { NoCache = true };
        if (_last is { } last)
        {
            request.Headers.TryAddWithoutValidation(ChatStreamingClientConstants.LastEventIdHeader, last.ToString());
        }

        return request;
    }

    /// <summary>Counts a failed attempt; the last one allowed is thrown as it is.</summary>
    private void CountFailure(HttpRequestException failure)
    {
        if (++_consecutiveFailures >= policy.MaxConsecutiveFailures)
        {
            ExceptionDispatchInfo.Throw(failure);
        }
    }

    private Task DelayAsync(CancellationToken cancellationToken)
    {
        TimeSpan delay = _reconnectionDelay < policy.MaxReconnectionDelay ? _reconnectionDelay : policy.MaxReconnectionDelay;
        return delay > TimeSpan.Zero ? Task.Delay(delay, policy.TimeProvider, cancellationToken) : Task.CompletedTask;
    }

    /// <summary>Moves to the next SSE item; <see langword="false"/> when the body ended or the connection dropped (both resume).</summary>
    private static async ValueTask<bool> TryMoveNextAsync(IAsyncEnumerator<SseItem<WireEvent?>> items)
    {
        try
        {
            return await items.MoveNextAsync().ConfigureAwait(false);
        }
        catch (IOException)
        {
            // A reset, a premature end of the body (a half-received event is never dispatched) or an aborted read. When the
            // caller cancelled, the next connection attempt throws OperationCanceledException instead.
            return false;
        }
    }

    /// <summary>Turns an SSE item into the event to yield: <see langword="false"/> for an unknown event type or an event already yielded.</summary>
    private bool TryAccept(SseItem<WireEvent?> item, out ChatStreamingEvent streamingEvent)
    {
        streamingEvent = default;
        if (item.Data is not { } wire)
        {
            return false;
        }

        if (!ChatStreamPosition.TryParse(item.EventId, out ChatStreamPosition position) || position.Sequence != wire.Sequence)
        {
            throw ProtocolErrors.Create(
                $"A '{item.EventType}' event has the id '{item.EventId}', which is not the position of sequence {wire.Sequence}.");
        }

        // A server that replays from an earlier point than asked must not make the caller see an event twice.
        if (_last is { } last && last.Epoch == position.Epoch && position.Sequence <= last.Sequence)
        {
            return false;
        }

        try
        {
            streamingEvent = ChatStreamingEvent.FromPublished(wire.Kind, wire.ConversationId, position, wire.Timestamp, wire.Text, wire.Usage, wire.Error);
        }
        catch (ArgumentException ex)
        {
            throw ProtocolErrors.Create($"The '{item.EventType}' event '{item.EventId}' is not a valid chat event: {ex.Message}", ex);
        }

        _last = position;
        _conversationId = streamingEvent.ConversationId;
        return true;
    }

    /// <summary>A 200 that is not an event stream fails for good (WHATWG): retrying would get the same.</summary>
    private void EnsureEventStream(HttpResponseMessage response)
    {
        string? mediaType = response.Content.Headers.ContentType?.MediaType;
        if (!string.Equals(mediaType, ChatStreamingClientConstants.EventStreamMediaType, StringComparison.OrdinalIgnoreCase))
        {
            response.Dispose();
            throw ProtocolErrors.Create($"GET {requestUri} answered 200 with Content-Type '{mediaType}', not {ChatStreamingClientConstants.EventStreamMediaType}.");
        }
    }

    /// <summary>The exception for a status the client does not retry: 410, 429, any other 4xx, or an unexpected status.</summary>
    private Exception Refusal(HttpResponseMessage response, string? detail)
    {
        string message = Describe(response, detail);
        var httpError = new HttpRequestException(HttpRequestError.Unknown, message, null, response.StatusCode);
        return response.StatusCode switch
        {
            HttpStatusCode.Gone => new ChatStreamingException(
                ChatStreamingError.SequenceNotRetained,
                _conversationId,
                $"The server no longer has the stream {(_last is { } last ? $"after {last}" : "asked for")}: {message}",
                httpError),
            HttpStatusCode.TooManyRequests => new ChatStreamingException(
                ChatStreamingError.TooManySubscribers,
                _conversationId,
                $"The conversation has too many subscribers: {message}",
                httpError),
            _ => httpError,
        };
    }

    private string Describe(HttpResponseMessage response, string? detail)
    {
        string status = $"{(int)response.StatusCode} ({response.ReasonPhrase ?? response.StatusCode.ToString()})";
        return detail is null ? $"GET {requestUri} answered {status}." : $"GET {requestUri} answered {status}: {detail}";
    }

    /// <summary>The <c>detail</c> (else the <c>title</c>) of an <c>application/problem+json</c> body; <see langword="null"/> if there is none.</summary>
    private static async Task<string?> ReadProblemDetailAsync(HttpResponseMessage response, CancellationToken cancellationToken)
    {
        string? mediaType = response.Content.Headers.ContentType?.MediaType;
        if (mediaType is null || !mediaType.EndsWith("json", StringComparison.OrdinalIgnoreCase))
        {
            return null;
        }

        try
        {
            // One byte more than the limit tells an over-long body from one that fits.
            byte[] buffer = new byte[ChatStreamingClientConstants.MaxProblemDetailsLength + 1];
            Stream body = await response.Content.ReadAsStreamAsync(cancellationToken).ConfigureAwait(false);
            int length = await body.ReadAtLeastAsync(buffer, buffer.Length, throwOnEndOfStream: false, cancellationToken).ConfigureAwait(false);
            if (length > ChatStreamingClientConstants.MaxProblemDetailsLength)
            {
                return null;
            }

            WireProblem? problem = JsonSerializer.Deserialize(buffer.AsSpan(0, length), WireJsonContext.Default.WireProblem);
            return problem?.Detail ?? problem?.Title;
        }
        catch (Exception ex) when (ex is JsonException or HttpRequestException or IOException && !cancellationToken.IsCancellationRequested)
        {
            // The status says enough; an unreadable body must not hide it.
            return null;
        }
    }
}
