namespace StreamingCore.WebSample;

/// <summary>The body of <c>POST /api/conversations/{id}/messages</c>.</summary>
/// <param name="Text">The user's message.</param>
public sealed record MessageRequest(string? Text);
