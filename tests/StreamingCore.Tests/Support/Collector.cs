namespace StreamingCore.Tests.Support;

/// <summary>Collects everything unreachable and runs its finalizers, so weak references and unobserved-task checks are decided.</summary>
internal static class Collector
{
    public static void FullCollect()
    {
        GC.Collect();
        GC.WaitForPendingFinalizers();
        GC.Collect();
        GC.WaitForPendingFinalizers();
    }
}
