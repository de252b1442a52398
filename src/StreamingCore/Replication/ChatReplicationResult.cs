namespace StreamingCore;

/// <summary>What <see cref="DefaultChatStreamingStore.Replicate"/> did with an event published by another store.</summary>
public enum ChatReplicationResult
{
    /// <summary>The event continued the conversation's stream and was delivered to this store's subscribers.</summary>
    Applied,

    /// <summary>The store already has the event (its sequence is not above the conversation's last); nothing changed.</summary>
    AlreadyApplied,

    /// <summary>
    /// The event does not follow what the store has: earlier events of its response are missing (a gap), or it is not the
    /// Started of a response the store does not know. Nothing changed; replicate the missing events first.
    /// </summary>
    Missing,
}
