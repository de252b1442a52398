using NUnit.Framework;
using StreamingCore.Redis.Tests.Infrastructure;

namespace StreamingCore.Redis.Tests;

/// <summary>
/// Stops the shared server and cluster (<see cref="SharedRedis"/>) once every test under this namespace has run. It sits in
/// the project's root namespace so that it covers every fixture; a test process that dies without running it is covered
/// by <c>RedisProcessReaper</c>.
/// </summary>
[SetUpFixture]
public sealed class RedisTestRun
{
    /// <summary>Stops whatever shared servers the run started.</summary>
    [OneTimeTearDown]
    public Task StopSharedServers() => SharedRedis.StopAsync();
}
