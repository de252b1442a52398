namespace StreamingCore.Testing;

/// <summary>
/// A backstop so that a test which would hang (a deadlock, a lost wake-up) fails instead of stalling CI.
/// It never decides an assertion: every test synchronises on explicit signals.
/// </summary>
internal static class TestGuard
{
    private static readonly TimeSpan Backstop = TimeSpan.FromSeconds(60);

    /// <summary>A token that cancels after the backstop; each use gets a fresh one.</summary>
    public static CancellationToken Token => new CancellationTokenSource(Backstop).Token;

    /// <summary>The backstop in milliseconds, for APIs that take one (Playwright's waits).</summary>
    public static float Milliseconds => (float)Backstop.TotalMilliseconds;

    public static Task<T> Guarded<T>(this Task<T> task) => task.WaitAsync(Token);

    public static Task Guarded(this Task task) => task.WaitAsync(Token);

    public static Task<T> Guarded<T>(this ValueTask<T> task) => task.AsTask().WaitAsync(Token);

    public static Task Guarded(this ValueTask task) => task.AsTask().WaitAsync(Token);
}
