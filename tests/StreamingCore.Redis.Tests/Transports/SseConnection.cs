using System.Net.Http.Headers;
using System.Net.ServerSentEvents;
using System.Text.Json;

namespace StreamingCore.Redis.Tests.Transports;

/// <summary>An SSE response read with the runtime's <see cref="SseParser"/>, as a browser's EventSource reads it.</summary>
internal sealed class SseConnection : IDisposable
{
    private readonly Stream _body;
    private IAsyncEnumerator<SseItem<string>>? _items;

    private SseConnection(HttpResponseMessage response, Stream body)
    {
        Response = response;
        _body = body;
    }

    public HttpResponseMessage Response { get; }

    public static async Task<SseConnection> OpenAsync(HttpClient client, Uri uri, string? lastEventId = null)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, uri);
        request.Headers.Accept.Add(new MediaTypeWithQualityHeaderValue("text/event-stream"));
        if (lastEventId is not null)
        {
            request.Headers.TryAddWithoutValidation("Last-Event-ID", lastEventId);
        }

        HttpResponseMessage response = await client.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, TestGuard.Token).Guarded();
        response.EnsureSuccessStatusCode();
        return new SseConnection(response, await response.Content.ReadAsStreamAsync(TestGuard.Token).Guarded());
    }

    /// <summary>The next event, or null when the body ended (normally, or because the server went away).</summary>
    public async Task<WireEvent?> NextAsync()
    {
        _items ??= SseParser.Create(_body).EnumerateAsync(TestGuard.Token).GetAsyncEnumerator();
        try
        {
            return await _items.MoveNextAsync().Guarded()
                ? new WireEvent(_items.Current.EventId, _items.Current.EventType, JsonDocument.Parse(_items.Current.Data).RootElement.Clone())
                : null;
        }
        catch (Exception ex) when (ex is IOException or HttpRequestException)
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

    public void Dispose()
    {
        _body.Dispose();
        Response.Dispose();
    }
}

/// <summary>An event as it came over the wire: its id, event name and data JSON.</summary>
internal sealed record WireEvent(string? Id, string Type, JsonElement Data)
{
    public long Sequence => Data.GetProperty("sequence").GetInt64();

    public string? Text => Data.TryGetProperty("text", out JsonElement text) ? text.GetString() : null;
}
