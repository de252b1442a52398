namespace StreamingCore;

/// <summary>
/// Thrown when a full buffer refuses an item: under <see cref="OverflowStrategy.Reject"/>, or at
/// <see cref="ResponseBuffer{T}.MaxCount"/> when the strategy can neither drop nor merge the item.
/// </summary>
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

    // For a buffer refused at its hard bound: Capacity then holds ResponseBuffer<T>.MaxCount.
    internal BufferFullException(int capacity, string message)
        : base(message)
    {
        Capacity = capacity;
    }

    /// <summary>
    /// Gets how many items the buffer that refused the item held: its capacity under <see cref="OverflowStrategy.Reject"/>,
    /// its <see cref="ResponseBuffer{T}.MaxCount"/> when the hard bound refused it; 0 when unknown (the constructors without a capacity).
    /// </summary>
    public int Capacity { get; }
}
