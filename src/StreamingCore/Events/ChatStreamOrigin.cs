using System.Security.Cryptography;

namespace StreamingCore;

/// <summary>
/// The stream a published event belongs to: its conversation and that conversation state's epoch. One instance per
/// conversation state, shared by all its events, so a published event carries both in one reference and stays 32 bytes.
/// </summary>
internal sealed record ChatStreamOrigin(string ConversationId, string Epoch)
{
    // Crockford's base 32: no letters that read like digits.
    private const string EpochAlphabet = "0123456789abcdefghjkmnpqrstvwxyz";

    // 10 characters of 5 bits: 50 random bits, so two incarnations of one conversation practically never share an epoch.
    private const int EpochLength = 10;

    /// <summary>A new incarnation of a conversation's stream.</summary>
    public static ChatStreamOrigin Create(string conversationId) => new(conversationId, NewEpoch());

    /// <summary>A random epoch of <c>[0-9a-z]</c>, valid in a <see cref="ChatStreamPosition"/>.</summary>
    public static string NewEpoch() => RandomNumberGenerator.GetString(EpochAlphabet, EpochLength);
}
