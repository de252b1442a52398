using System.Diagnostics.CodeAnalysis;
using System.Globalization;

namespace StreamingCore;

/// <summary>
/// A place in one conversation's stream: the stream's <see cref="Epoch"/> and the <see cref="Sequence"/> of an event in it.
/// It is what a client keeps to resume (the SSE <c>id</c> / <c>Last-Event-ID</c>), and it can never be applied to another
/// stream: when a conversation's state is lost and created again, its events are numbered from 1 again under a new epoch.
/// </summary>
/// <remarks>
/// <see cref="ToString"/> is the position's wire form, opaque to clients: <c>[A-Za-z0-9._:-]</c> only, at most 64 characters;
/// <see cref="TryParse"/> accepts exactly what it produces.
/// </remarks>
/// <param name="Epoch">The stream's incarnation: 1 to 44 characters of <c>[A-Za-z0-9._-]</c>.</param>
/// <param name="Sequence">The sequence of an event in that stream, or 0 for "before its first event".</param>
public readonly record struct ChatStreamPosition(string Epoch, long Sequence)
{
    /// <summary>The most characters <see cref="ToString"/> produces.</summary>
    public const int MaxLength = 64;

    /// <summary>The most characters of an epoch (so that the longest sequence still fits in <see cref="MaxLength"/>).</summary>
    public const int MaxEpochLength = 44;

    // The epoch ends at the last separator, so an epoch never contains one.
    private const char Separator = ':';

    /// <summary>Gets the stream's incarnation; <see langword="null"/> only for <see langword="default"/>.</summary>
    /// <exception cref="ArgumentException">On construction: the epoch is null, empty, longer than 44 characters or has a character outside <c>[A-Za-z0-9._-]</c>.</exception>
    public string Epoch { get; } = IsValidEpoch(Epoch)
        ? Epoch
        : throw new ArgumentException($"An epoch is 1 to {MaxEpochLength} characters of [A-Za-z0-9._-]; '{Epoch}' is not.", nameof(Epoch));

    /// <summary>Gets the sequence of the event this position is at; 0 is before the stream's first event.</summary>
    /// <exception cref="ArgumentOutOfRangeException">On construction: the sequence is negative.</exception>
    public long Sequence { get; } = Sequence >= 0
        ? Sequence
        : throw new ArgumentOutOfRangeException(nameof(Sequence), Sequence, "A position's sequence must not be negative.");

    /// <summary>Gets the position's wire form, <c>epoch:sequence</c>; empty for <see langword="default"/>.</summary>
    /// <returns>The text that <see cref="TryParse"/> turns back into this position.</returns>
    public override string ToString()
        => Epoch is null ? string.Empty : string.Create(CultureInfo.InvariantCulture, $"{Epoch}{Separator}{Sequence}");

    /// <summary>Reads a position from its wire form (<see cref="ToString"/>), accepting nothing else.</summary>
    /// <param name="value">The text, e.g. an SSE <c>Last-Event-ID</c>.</param>
    /// <param name="position">The position, when the text is one; <see langword="default"/> otherwise.</param>
    /// <returns>Whether <paramref name="value"/> is exactly a position's wire form.</returns>
    public static bool TryParse([NotNullWhen(true)] string? value, out ChatStreamPosition position)
    {
        position = default;
        if (string.IsNullOrEmpty(value) || value.Length > MaxLength)
        {
            return false;
        }

        int separator = value.LastIndexOf(Separator);
        if (separator <= 0 || !IsValidEpoch(value.AsSpan(0, separator)))
        {
            return false;
        }

        ReadOnlySpan<char> digits = value.AsSpan(separator + 1);
        if (digits.IsEmpty || (digits.Length > 1 && digits[0] == '0'))
        {
            return false;
        }

        foreach (char c in digits)
        {
            if (!char.IsAsciiDigit(c))
            {
                return false;
            }
        }

        if (!long.TryParse(digits, NumberStyles.None, CultureInfo.InvariantCulture, out long sequence))
        {
            return false;
        }

        position = new ChatStreamPosition(value[..separator], sequence);
        return true;
    }

    private static bool IsValidEpoch(ReadOnlySpan<char> epoch)
    {
        if (epoch.IsEmpty || epoch.Length > MaxEpochLength)
        {
            return false;
        }

        foreach (char c in epoch)
        {
            if (!char.IsAsciiLetterOrDigit(c) && c is not ('.' or '_' or '-'))
            {
                return false;
            }
        }

        return true;
    }

    private static bool IsValidEpoch(string? epoch) => epoch is not null && IsValidEpoch(epoch.AsSpan());
}
