namespace StreamingCore.Redis.Internal;

/// <summary>A response this instance produces: where it is in Redis and how much of it still waits in the outbox.</summary>
internal sealed class OwnedResponse(ConversationKeys keys, string epoch, long start)
{
    public ConversationKeys Keys { get; } = keys;

    public string Epoch { get; } = epoch;

    /// <summary>The sequence of its Started event.</summary>
    public long Start { get; } = start;

    public string StartText { get; } = start.ToString(System.Globalization.CultureInfo.InvariantCulture);

    /// <summary>The sequence of the last event appended; written under the conversation's lock.</summary>
    public long LastSequence;

    /// <summary>Events appended but not yet written; changed only with Interlocked.</summary>
    public int Pending;

    /// <summary>True once its terminal event was appended.</summary>
    public volatile bool Ended;

    /// <summary>True once Redis refused its writes (keys lost, or another instance ended it): later events are dropped.</summary>
    public volatile bool Lost;

    /// <summary>Completed when nothing of it waits in the outbox any more (written, or dropped because it was lost).</summary>
    public TaskCompletionSource Drained { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);
}
