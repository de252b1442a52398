namespace StreamingCore;

/// <summary>How a response ended, or that it has not yet.</summary>
public enum ChatResponseOutcome
{
    /// <summary>The response is still active.</summary>
    Streaming,

    /// <summary>The producer published Finished.</summary>
    Finished,

    /// <summary>The producer published Failed.</summary>
    Failed,

    /// <summary>The store ended the response after its idle timeout.</summary>
    IdleTimeout,
}
