namespace StreamingCore;

/// <summary>The kind of a <see cref="ChatStreamingEvent"/>: one response is <c>Started</c>, any number of <c>Delta</c>s, then <c>Finished</c> or <c>Failed</c>.</summary>
public enum ChatStreamingEventKind
{
    /// <summary>A response began. Always the first event of a response.</summary>
    Started,

    /// <summary>A piece of the response's text (one or more tokens).</summary>
    Delta,

    /// <summary>The response completed normally. A terminal event.</summary>
    Finished,

    /// <summary>The response ended with an error. A terminal event.</summary>
    Failed,
}
