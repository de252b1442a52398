using System.Security.Cryptography;

namespace StreamingCore.Redis.Internal;

/// <summary>New epochs for conversations that Redis does not hold (yet, or any more).</summary>
internal static class Epochs
{
    // Crockford's base 32, as the core's epochs: no letters that read like digits.
    private const string Alphabet = "0123456789abcdefghjkmnpqrstvwxyz";

    /// <summary>12 random characters (60 bits): two incarnations of a conversation practically never share one.</summary>
    public static string New() => RandomNumberGenerator.GetString(Alphabet, 12);
}
