namespace StreamingCore.WebSample.AISdk;

/// <summary>
/// The body <c>DefaultChatTransport</c> posts to <c>/api/chat</c>: <c>{ id, messages, trigger, messageId? }</c> plus the
/// transport's <c>body</c> option (here <c>persona</c>). Fields the sample does not use are ignored.
/// </summary>
/// <param name="Id">The chat id: the conversation.</param>
/// <param name="Messages">The whole history as the client has it; the sample keeps its own and reads only the last message.</param>
/// <param name="Trigger"><c>submit-message</c>; the sample refuses <c>regenerate-message</c>.</param>
/// <param name="MessageId">Set by the client only to regenerate or edit a message.</param>
/// <param name="Persona">The persona to answer as (<see cref="Personas"/>); default <c>default</c>.</param>
public sealed record ChatRequest(string? Id, IReadOnlyList<UIMessage?>? Messages, string? Trigger, string? MessageId, string? Persona);

/// <summary>A message of the AI SDK's UI (<c>UIMessage</c>): its role and parts.</summary>
/// <param name="Id">The message id.</param>
/// <param name="Role"><c>system</c>, <c>user</c> or <c>assistant</c>.</param>
/// <param name="Parts">The parts; the sample reads the <c>text</c> ones.</param>
public sealed record UIMessage(string? Id, string? Role, IReadOnlyList<UIMessagePart?>? Parts);

/// <summary>A part of a <see cref="UIMessage"/>; only <c>{"type":"text","text":..}</c> is read.</summary>
/// <param name="Type">The part's type.</param>
/// <param name="Text">The text of a text part.</param>
public sealed record UIMessagePart(string? Type, string? Text);
