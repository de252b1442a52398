using System.Net.Http.Headers;
using System.Net.ServerSentEvents;
using System.Text.Json;

namespace StreamingCore.AspNetCore.Tests.Support;

/// <summary>An SSE response read with the runtime's <see cref="SseParser"/>, or line by line for framing checks.</summary>
internal sealed class SseStream : IDisposable
{
    private readonly Stream _body;
    private IAsyncEnumerator<SseItem<string>>? _items;
    private StreamReader? _lines;

    private SseStream(HttpResponseMessage response, Stream body)
    {
        Response = response;
        _body = body;
    }

    public HttpResponseMessage Response { get; }

    public static async Task<SseStream> OpenAsync(HttpClient client, string path, string? lastEventId = null)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, path);
        request.Headers.Accept.Add(new MediaTypeWithQualityHeaderValue("text/event-stream"));
        if (lastEventId is not null)
        {
            request.Headers.TryAddWithoutValidation("Last-Event-ID", lastEventId);
        }

        HttpResponseMessage response = await client.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, TestGuard.Token);
        return new SseStream(response, await response.Content.ReadAsStreamAsync(TestGuard.Token));
    }

    /// <summary>The next event, or null at the end of the body.</summary>
    public async Task<WireEvent?> NextAsync()
    {
        _items ??= SseParser.Create(_body).EnumerateAsync(TestGuard.Token).GetAsyncEnumerator();
        return await _items.MoveNextAsync().Guarded()
            ? new WireEvent(_items.Current.EventId, _items.Current.EventType, JsonDocument.Parse(_items.Current.Data).RootElement.Clone())
            : null;
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

/// <summary>An event as it came over the wire: its id, event name and data JSON.</summary>
internal sealed record WireEvent(string? Id, string Type, JsonElement Data)
{
    public long Sequence => Data.GetProperty("sequence").GetInt64();

    public string Text => Data.GetProperty("text").GetString()!;
}
