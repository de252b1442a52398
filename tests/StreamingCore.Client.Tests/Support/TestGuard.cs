namespace StreamingCore.Client.Tests.Support;

/// <summary>
/// A backstop so that a test which would hang (a lost wake-up, a client that never reconnects) fails instead of stalling CI.
/// It never decides an assertion: every test synchronises on explicit signals.
/// </summary>
internal static class TestGuard
{
    private static readonly TimeSpan Backstop = TimeSpan.FromSeconds(30);

    /// <summary>A token that cancels after the backstop; each use gets a fresh one.</summary>
    public static CancellationToken Token => new CancellationTokenSource(Backstop).Token;

    public static Task<T> Guarded<T>(this Task<T> task) => task.WaitAsync(Token);

    public static Task Guarded(this Task task) => task.WaitAsync(Token);

    public static Task<T> Guarded<T>(this ValueTask<T> task) => task.AsTask().WaitAsync(Token);
}
