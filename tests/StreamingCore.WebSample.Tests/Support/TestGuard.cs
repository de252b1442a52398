namespace StreamingCore.WebSample.Tests.Support;

/// <summary>
/// A backstop so that a test which would hang fails instead of stalling CI. It never decides an assertion: the tests wait on
/// explicit signals (the server's timers, the page's state).
/// </summary>
internal static class TestGuard
{
    private static readonly TimeSpan Backstop = TimeSpan.FromSeconds(60);

    /// <summary>A token that cancels after the backstop; each use gets a fresh one.</summary>
    public static CancellationToken Token => new CancellationTokenSource(Backstop).Token;

    /// <summary>The backstop in milliseconds, for Playwright's waits.</summary>
    public static float Milliseconds => (float)Backstop.TotalMilliseconds;
}
