using System.Text.Json.Nodes;
using NUnit.Framework;

namespace StreamingCore.WebSample.Tests.Support;

/// <summary>
/// Reads a UI message stream as it arrives and holds it to the framing: every event is exactly one <c>data:</c> line and a
/// blank line, nothing else (no <c>event:</c>, <c>id:</c> or comment lines).
/// </summary>
internal sealed class UIMessageStreamReader(Stream body) : IDisposable
{
    public const string Done = "[DONE]";

    private readonly StreamReader _reader = new(body);

    /// <summary>Gets every payload read so far, in order (<see cref="Done"/> included).</summary>
    public List<string> Payloads { get; } = [];

    /// <summary>Gets the chunks read so far, parsed (without <see cref="Done"/>).</summary>
    public IEnumerable<JsonObject> Chunks => Payloads.Where(p => p != Done).Select(p => JsonNode.Parse(p)!.AsObject());

    /// <summary>Gets the text of the text-delta chunks read so far.</summary>
    public string Text => string.Concat(Chunks.Where(c => (string?)c["type"] == "text-delta").Select(c => (string?)c["delta"]));

    /// <summary>The next event's data, or <see langword="null"/> at the end of the body.</summary>
    public async Task<string?> NextAsync()
    {
        string? line = await _reader.ReadLineAsync(TestGuard.Token);
        if (line is null)
        {
            return null;
        }

        Assert.That(line, Does.StartWith("data: "), "every event is one data: line");
        Assert.That(await _reader.ReadLineAsync(TestGuard.Token), Is.EqualTo(string.Empty), "and a blank line ends it");
        string payload = line["data: ".Length..];
        Payloads.Add(payload);
        return payload;
    }

    /// <summary>Reads until <paramref name="count"/> text-delta chunks have arrived.</summary>
    public async Task ReadDeltasAsync(int count)
    {
        while (Chunks.Count(c => (string?)c["type"] == "text-delta") < count)
        {
            Assert.That(await NextAsync(), Is.Not.Null, $"the stream ended before {count} text deltas");
        }
    }

    /// <summary>Reads to the end of the body.</summary>
    public async Task ReadToEndAsync()
    {
        while (await NextAsync() is not null)
        {
        }
    }

    public void Dispose() => _reader.Dispose();
}
