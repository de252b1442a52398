namespace StreamingCore;

/// <summary>A snapshot of one response's statistics, from <see cref="DefaultChatStreamingStore.GetStatistics(string)"/>.</summary>
public sealed record ChatResponseStatistics
{
    /// <summary>Gets the conversation.</summary>
    public required string ConversationId { get; init; }

    /// <summary>Gets the sequence of the response's Started event (identifies the response within its conversation).</summary>
    public required long StartSequence { get; init; }

    /// <summary>Gets when the response started.</summary>
    public required DateTimeOffset StartedAt { get; init; }

    /// <summary>Gets the time from Started to the first delta; <see langword="null"/> before the first delta.</summary>
    public TimeSpan? TimeToFirstDelta { get; init; }

    /// <summary>Gets the number of deltas.</summary>
    public required int DeltaCount { get; init; }

    /// <summary>Gets the number of characters of text.</summary>
    public required int CharacterCount { get; init; }

    /// <summary>Gets the time from Started to the terminal event, or to now while streaming.</summary>
    public required TimeSpan Duration { get; init; }

    /// <summary>Gets <see cref="DeltaCount"/> divided by <see cref="Duration"/> in seconds (0 for a zero duration).</summary>
    public double DeltasPerSecond => Duration > TimeSpan.Zero ? DeltaCount / Duration.TotalSeconds : 0;

    /// <summary>Gets the token usage from the Finished event, if reported.</summary>
    public TokenUsage? Usage { get; init; }

    /// <summary>Gets how the response ended, or <see cref="ChatResponseOutcome.Streaming"/>.</summary>
    public required ChatResponseOutcome Outcome { get; init; }
}
