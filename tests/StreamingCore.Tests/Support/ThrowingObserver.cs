namespace StreamingCore.Tests.Support;

/// <summary>An <c>Events</c> observer with a bug: it throws after a number of events.</summary>
internal sealed class ThrowingObserver(int throwAfter) : IObserver<ChatStreamingEvent>
{
    private int _seen;

    public void OnNext(ChatStreamingEvent value)
    {
        if (++_seen > throwAfter)
        {
            throw new InvalidOperationException("A faulty observer.");
        }
    }

    public void OnError(Exception error)
    {
    }

    public void OnCompleted()
    {
    }
}
