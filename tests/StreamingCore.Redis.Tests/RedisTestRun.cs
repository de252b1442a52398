using System.Diagnostics.CodeAnalysis;
using NUnit.Framework;
using StreamingCore.Redis.Tests.Infrastructure;

/// <summary>
/// Stops the shared server and cluster (<see cref="SharedRedis"/>) once every test of the assembly has run. It is outside
/// any namespace because NUnit runs a set-up fixture's teardown after the tests of its namespace only, and the shared
/// contract suite lives in another namespace (StreamingCore.Testing.Contract); a test process that dies without running
/// it is covered by <c>RedisProcessReaper</c>.
/// </summary>
[SetUpFixture]
[SuppressMessage("Design", "CA1050:Declare types in namespaces", Justification = "NUnit applies a set-up fixture outside any namespace to the whole assembly.")]
public sealed class RedisTestRun
{
    /// <summary>Stops whatever shared servers the run started.</summary>
    [OneTimeTearDown]
    public Task StopSharedServers() => SharedRedis.StopAsync();
}
