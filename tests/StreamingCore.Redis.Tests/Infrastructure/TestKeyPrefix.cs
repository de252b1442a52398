using System.Globalization;

namespace StreamingCore.Redis.Tests.Infrastructure;

/// <summary>
/// Key prefixes unique within the test run (<c>t1:</c>, <c>t2:</c>, ...), so that tests on a shared server or cluster never
/// see each other's keys. Each run starts its own servers, so uniqueness within the process is enough.
/// </summary>
/// <remarks>
/// The prefix holds no braces on purpose: braces would make it a cluster hash tag and put all of a test's keys in one
/// slot. On a cluster, put it inside the tag the test chooses: <c>{t7:conv-1}:events</c>.
/// </remarks>
public static class TestKeyPrefix
{
    private static int _last;

    /// <summary>A prefix no other call in this run returns, e.g. <c>t42:</c>.</summary>
    public static string Next() => $"t{Interlocked.Increment(ref _last).ToString(CultureInfo.InvariantCulture)}:";
}
