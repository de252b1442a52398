using System.Text.Json.Serialization;

namespace StreamingCore.WebSample.AISdk;

/// <summary>
/// A chunk of the AI SDK's UI message stream (the <c>ai</c> package's <c>uiMessageChunkSchema</c>), serialized with its
/// <c>type</c> first. Only the chunks a text answer needs.
/// </summary>
[JsonPolymorphic(TypeDiscriminatorPropertyName = "type")]
[JsonDerivedType(typeof(StartChunk), "start")]
[JsonDerivedType(typeof(TextStartChunk), "text-start")]
[JsonDerivedType(typeof(TextDeltaChunk), "text-delta")]
[JsonDerivedType(typeof(TextEndChunk), "text-end")]
[JsonDerivedType(typeof(ErrorChunk), "error")]
[JsonDerivedType(typeof(FinishChunk), "finish")]
public abstract record UIMessageChunk;

/// <summary><c>{"type":"start","messageId":..}</c>: a new assistant message; the client replaces a message with the same id.</summary>
/// <param name="MessageId">The message's id.</param>
public sealed record StartChunk(string MessageId) : UIMessageChunk;

/// <summary><c>{"type":"text-start","id":..}</c>: a text part opens.</summary>
/// <param name="Id">The part's id.</param>
public sealed record TextStartChunk(string Id) : UIMessageChunk;

/// <summary><c>{"type":"text-delta","id":..,"delta":..}</c>: text appended to the part.</summary>
/// <param name="Id">The part's id.</param>
/// <param name="Delta">The text.</param>
public sealed record TextDeltaChunk(string Id, string Delta) : UIMessageChunk;

/// <summary><c>{"type":"text-end","id":..}</c>: the part is complete.</summary>
/// <param name="Id">The part's id.</param>
public sealed record TextEndChunk(string Id) : UIMessageChunk;

/// <summary><c>{"type":"error","errorText":..}</c>: the answer failed.</summary>
/// <param name="ErrorText">Why.</param>
public sealed record ErrorChunk(string ErrorText) : UIMessageChunk;

/// <summary><c>{"type":"finish","finishReason":..}</c>: the message is complete.</summary>
/// <param name="FinishReason"><c>stop</c>, <c>length</c>, <c>content-filter</c>, <c>tool-calls</c>, <c>error</c> or <c>other</c>.</param>
public sealed record FinishChunk(string FinishReason) : UIMessageChunk;
