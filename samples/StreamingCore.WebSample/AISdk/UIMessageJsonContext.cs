using System.Text.Json;
using System.Text.Json.Serialization;

namespace StreamingCore.WebSample.AISdk;

/// <summary>The JSON of the AI SDK routes (the chunks written, the chat request read): camelCase, source-generated.</summary>
[JsonSourceGenerationOptions(JsonSerializerDefaults.Web)]
[JsonSerializable(typeof(UIMessageChunk))]
[JsonSerializable(typeof(ChatRequest))]
internal sealed partial class UIMessageJsonContext : JsonSerializerContext;
