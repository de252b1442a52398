namespace StreamingCore;

/// <summary>What a <see cref="ResponseBufferMerge{T}"/> decided for one queued item.</summary>
public enum MergeResult
{
    /// <summary>The incoming item was merged into the queued one; the merged item replaces it.</summary>
    Merged,

    /// <summary>The queued item is unrelated to the incoming one (another stream): look at the next older item.</summary>
    Unrelated,

    /// <summary>The queued item is related but cannot be merged (merging past it would reorder): append the incoming item.</summary>
    Blocked,
}
