namespace StreamingCore.WebSample;

/// <summary>The body of <c>POST /api/conversations/{id}/messages</c>.</summary>
/// <param name="Text">The user's message.</param>
/// <param name="Persona">The persona to answer as (<see cref="Personas"/>); default <c>default</c>.</param>
public sealed record MessageRequest(string? Text, string? Persona = null);
