namespace StreamingCore;

/// <summary>Thrown when a full buffer with <see cref="OverflowStrategy.Reject"/> refuses an item.</summary>
public sealed class BufferFullException : InvalidOperationException
{
    /// <summary>Initializes a new instance with a default message; <see cref="Capacity"/> is 0 (unknown).</summary>
    public BufferFullException()
        : base("The buffer is full.")
    {
    }

    /// <summary>Initializes a new instance with a message; <see cref="Capacity"/> is 0 (unknown).</summary>
    /// <param name="message">The message.</param>
    public BufferFullException(string message)
        : base(message)
    {
    }

    /// <summary>Initializes a new instance with a message and the exception that caused it; <see cref="Capacity"/> is 0 (unknown).</summary>
    /// <param name="message">The message.</param>
    /// <param name="innerException">The exception that caused this one.</param>
    public BufferFullException(string message, Exception innerException)
        : base(message, innerException)
    {
    }

    /// <summary>Initializes a new instance with a message that names the capacity.</summary>
    /// <param name="capacity">The buffer's capacity.</param>
    public BufferFullException(int capacity)
        : base($"The buffer is full ({capacity} items) and its overflow strategy is Reject.")
    {
        Capacity = capacity;
    }

    /// <summary>Gets the capacity of the buffer that refused the item; 0 when unknown (the constructors without a capacity).</summary>
    public int Capacity { get; }
}
