namespace StreamingCore.AspNetCore;

/// <summary>
/// The core's rule for a conversation id, checked before anything is written so that a bad id is a 400 that names the
/// rule rather than an <see cref="ArgumentException"/> from the store.
/// </summary>
internal static class ConversationIdRule
{
    /// <summary>The core's limit (ChatStreamingConstants.MaxConversationIdLength, internal to the core).</summary>
    public const int MaxLength = 256;

    /// <summary>Checks <paramref name="conversationId"/>; on failure <paramref name="problem"/> says which rule it broke.</summary>
    public static bool IsValid(string? conversationId, [System.Diagnostics.CodeAnalysis.NotNullWhen(false)] out string? problem)
    {
        if (string.IsNullOrWhiteSpace(conversationId))
        {
            problem = "A conversation id must not be empty or white space.";
            return false;
        }

        if (conversationId.Length > MaxLength)
        {
            problem = $"A conversation id must be at most {MaxLength} characters long; this one has {conversationId.Length}.";
            return false;
        }

        foreach (char c in conversationId)
        {
            if (char.IsControl(c))
            {
                problem = $"A conversation id must not contain control characters (found U+{(int)c:X4}).";
                return false;
            }
        }

        problem = null;
        return true;
    }
}
