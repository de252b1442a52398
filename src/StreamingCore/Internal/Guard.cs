using System.Runtime.CompilerServices;

namespace StreamingCore;

/// <summary>Argument checks whose messages name the argument and the rule it broke.</summary>
internal static class Guard
{
    public static T NotNull<T>(T? value, [CallerArgumentExpression(nameof(value))] string? paramName = null)
        where T : class
        => value ?? throw new ArgumentNullException(paramName);

    public static void ConversationId(string? conversationId, [CallerArgumentExpression(nameof(conversationId))] string? paramName = null)
    {
        if (conversationId is null)
        {
            throw new ArgumentNullException(paramName, "A conversation id is required.");
        }

        if (string.IsNullOrWhiteSpace(conversationId))
        {
            throw new ArgumentException("A conversation id must not be empty or white space.", paramName);
        }

        if (conversationId.Length > ChatStreamingConstants.MaxConversationIdLength)
        {
            throw new ArgumentException(
                $"A conversation id must be at most {ChatStreamingConstants.MaxConversationIdLength} characters long; this one has {conversationId.Length}.",
                paramName);
        }

        foreach (char c in conversationId)
        {
            if (char.IsControl(c))
            {
                throw new ArgumentException(
                    $"A conversation id must not contain control characters (found U+{(int)c:X4}).", paramName);
            }
        }
    }

    public static void Positive(int value, [CallerArgumentExpression(nameof(value))] string? paramName = null)
    {
        if (value <= 0)
        {
            throw new ArgumentOutOfRangeException(paramName, value, $"{paramName} must be greater than zero.");
        }
    }

    public static void NotNegative(long value, [CallerArgumentExpression(nameof(value))] string? paramName = null)
    {
        if (value < 0)
        {
            throw new ArgumentOutOfRangeException(paramName, value, $"{paramName} must not be negative.");
        }
    }

    public static void Position(ChatStreamPosition position, [CallerArgumentExpression(nameof(position))] string? paramName = null)
    {
        if (position.Epoch is null)
        {
            throw new ArgumentException("The position is default(ChatStreamPosition); use an event's Position or ChatStreamPosition.TryParse.", paramName);
        }
    }

    /// <summary>A timeout for a <see cref="TimeProvider"/> timer: positive and representable, or infinite.</summary>
    public static bool IsValidTimeout(TimeSpan value)
        => value == Timeout.InfiniteTimeSpan || (value > TimeSpan.Zero && value <= MaxTimerDueTime);

    /// <summary>The longest due time a <see cref="TimeProvider"/> timer accepts (uint.MaxValue - 1 milliseconds).</summary>
    public static readonly TimeSpan MaxTimerDueTime = TimeSpan.FromMilliseconds(uint.MaxValue - 1.0);
}
