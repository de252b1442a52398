namespace StreamingCore;

/// <summary>Token counts that a model reports for one response.</summary>
/// <param name="InputTokens">Tokens in the prompt.</param>
/// <param name="OutputTokens">Tokens in the response.</param>
public sealed record TokenUsage(int InputTokens, int OutputTokens)
{
    /// <summary>Gets the sum of <see cref="InputTokens"/> and <see cref="OutputTokens"/>.</summary>
    public int TotalTokens => InputTokens + OutputTokens;
}
