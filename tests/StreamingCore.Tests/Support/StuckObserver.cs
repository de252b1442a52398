namespace StreamingCore.Tests.Support;

/// <summary>An <c>Events</c> observer whose OnNext does not return until released; it records how it ended.</summary>
internal sealed class StuckObserver : IObserver<ChatStreamingEvent>
{
    private int _received;

    public ManualResetEventSlim Release { get; } = new();

    public TaskCompletionSource Entered { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public TaskCompletionSource<Exception?> Ended { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public int Received => Volatile.Read(ref _received);

    public void OnNext(ChatStreamingEvent value)
    {
        Interlocked.Increment(ref _received);
        Entered.TrySetResult();
        Release.Wait(TestGuard.Token);
    }

    public void OnError(Exception error) => Ended.TrySetResult(error);

    public void OnCompleted() => Ended.TrySetResult(null);
}
