namespace StreamingCore.AI.Tests.Support;

/// <summary>
/// An explicit signal pair: the scripted client reports that it reached a step (once <c>arrivals</c> calls have), and the
/// test lets every waiting call go on.
/// </summary>
internal sealed class Gate(int arrivals = 1)
{
    private readonly TaskCompletionSource _reached = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly TaskCompletionSource _released = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private int _arrived;

    /// <summary>Completes when the expected number of calls are waiting at the step.</summary>
    public Task Reached => _reached.Task;

    /// <summary>Lets the waiting calls (and any later ones) go on.</summary>
    public void Release() => _released.TrySetResult();

    /// <summary>Called by the client: counts the arrival, then waits for <see cref="Release"/> or cancellation.</summary>
    public Task PassAsync(CancellationToken cancellationToken)
    {
        if (Interlocked.Increment(ref _arrived) >= arrivals)
        {
            _reached.TrySetResult();
        }

        return _released.Task.WaitAsync(cancellationToken);
    }
}
