using System.Net.Http.Headers;
using System.Net.ServerSentEvents;
using System.Text.Json;

namespace StreamingCore.Testing;

/// <summary>
/// An SSE response read with the runtime's <see cref="SseParser"/>, as a browser's EventSource reads it, or line by line
/// for framing checks. Shared by the tests of the endpoint and of instances that hand a client over to each other.
/// </summary>
internal sealed class SseStream : IDisposable
{
    private readonly Stream _body;
    private readonly bool _endWhenServerLeaves;
    private IAsyncEnumerator<SseItem<string>>? _items;
    private StreamReader? _lines;

    private SseStream(HttpResponseMessage response, Stream body, bool endWhenServerLeaves)
    {
        Response = response;
        _body = body;
        _endWhenServerLeaves = endWhenServerLeaves;
    }

    public HttpResponseMessage Response { get; }

    /// <inheritdoc cref="OpenAsync(HttpClient, Uri, string?, bool, bool)"/>
    public static Task<SseStream> OpenAsync(HttpClient client, string path, string? lastEventId = null, bool requireSuccess = false, bool endWhenServerLeaves = false)
        => OpenAsync(client, new Uri(path, UriKind.RelativeOrAbsolute), lastEventId, requireSuccess, endWhenServerLeaves);

    /// <summary>Sends the GET and returns once the response headers are in.</summary>
    /// <param name="client">The client.</param>
    /// <param name="uri">The events endpoint.</param>
    /// <param name="lastEventId">A Last-Event-ID header, as a reconnecting EventSource sends it.</param>
    /// <param name="requireSuccess">Throw unless the status is a success (tests that check refusals read <see cref="Response"/> instead).</param>
    /// <param name="endWhenServerLeaves">Read a server that goes away mid-body (an instance stopped under its client) as the end of the body.</param>
    public static async Task<SseStream> OpenAsync(HttpClient client, Uri uri, string? lastEventId = null, bool requireSuccess = false, bool endWhenServerLeaves = false)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, uri);
        request.Headers.Accept.Add(new MediaTypeWithQualityHeaderValue("text/event-stream"));
        if (lastEventId is not null)
        {
            request.Headers.TryAddWithoutValidation("Last-Event-ID", lastEventId);
        }

        HttpResponseMessage response = await client.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, TestGuard.Token).Guarded();
        if (requireSuccess)
        {
            response.EnsureSuccessStatusCode();
        }

        return new SseStream(response, await response.Content.ReadAsStreamAsync(TestGuard.Token).Guarded(), endWhenServerLeaves);
    }

    /// <summary>The next event, or null at the end of the body.</summary>
    public async Task<WireEvent?> NextAsync()
    {
        _items ??= SseParser.Create(_body).EnumerateAsync(TestGuard.Token).GetAsyncEnumerator();
        try
        {
            return await _items.MoveNextAsync().Guarded()
                ? new WireEvent(_items.Current.EventId, _items.Current.EventType, JsonDocument.Parse(_items.Current.Data).RootElement.Clone())
                : null;
        }
        catch (Exception ex) when (_endWhenServerLeaves && ex is IOException or HttpRequestException)
        {
            return null;
        }
    }

    /// <summary>Reads events up to and including the first one of <paramref name="eventType"/>.</summary>
    public async Task<List<WireEvent>> ReadThroughAsync(string eventType)
    {
        List<WireEvent> events = [];
        while (await NextAsync() is { } next)
        {
            events.Add(next);
            if (next.Type == eventType)
            {
                return events;
            }
        }

        throw new InvalidOperationException($"The stream ended before a '{eventType}' event; it had {events.Count} events.");
    }

    /// <summary>Reads every event until the body ends.</summary>
    public async Task<List<WireEvent>> ReadToEndAsync()
    {
        List<WireEvent> events = [];
        while (await NextAsync() is { } next)
        {
            events.Add(next);
        }

        return events;
    }

    /// <summary>The next raw line (without its end), or null at the end of the body.</summary>
    public Task<string?> ReadLineAsync()
    {
        _lines ??= new StreamReader(_body);
        return _lines.ReadLineAsync(TestGuard.Token).AsTask().Guarded();
    }

    /// <summary>Reads up to <paramref name="buffer"/>'s length of raw characters (after <see cref="ReadLineAsync"/>).</summary>
    public Task<int> ReadBlockAsync(char[] buffer)
    {
        _lines ??= new StreamReader(_body);
        return _lines.ReadBlockAsync(buffer, TestGuard.Token).AsTask().Guarded();
    }

    public void Dispose()
    {
        _lines?.Dispose();
        _body.Dispose();
        Response.Dispose();
    }
}
