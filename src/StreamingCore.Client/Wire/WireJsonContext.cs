using System.Text.Json;
using System.Text.Json.Serialization;

namespace StreamingCore.Client.Wire;

/// <summary>Source-generated JSON metadata of the wire types: no reflection, so the client trims (Blazor, MAUI).</summary>
[JsonSourceGenerationOptions(JsonSerializerDefaults.Web)]
[JsonSerializable(typeof(WireEvent))]
[JsonSerializable(typeof(WireProblem))]
internal sealed partial class WireJsonContext : JsonSerializerContext;
