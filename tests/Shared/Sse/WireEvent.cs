using System.Text.Json;

namespace StreamingCore.Testing;

/// <summary>An event as it came over the wire: its id, event name and data JSON.</summary>
internal sealed record WireEvent(string? Id, string Type, JsonElement Data)
{
    public long Sequence => Data.GetProperty("sequence").GetInt64();

    /// <summary>A delta's text; null for the other kinds, which have none.</summary>
    public string? Text => Data.TryGetProperty("text", out JsonElement text) ? text.GetString() : null;
}
