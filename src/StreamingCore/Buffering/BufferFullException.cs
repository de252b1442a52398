namespace StreamingCore;

/// <summary>Thrown when a full buffer with <see cref="OverflowStrategy.Reject"/> refuses an item.</summary>
public sealed class BufferFullException : InvalidOperationException
{
    /// <summary>Initializes a new instance with a message that names the capacity.</summary>
    /// <param name="capacity">The buffer's capacity.</param>
    public BufferFullException(int capacity)
        : base($"The buffer is full ({capacity} items) and its overflow strategy is Reject.")
    {
        Capacity = capacity;
    }

    /// <summary>Gets the capacity of the buffer that refused the item.</summary>
    public int Capacity { get; }
}
