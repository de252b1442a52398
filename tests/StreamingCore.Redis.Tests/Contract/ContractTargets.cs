using StreamingCore.Redis.Tests.Contract;

namespace StreamingCore.Testing.Contract;

/// <summary>The stores this project runs the shared contract suite against: the Redis store alone, and across two instances.</summary>
public static class ContractTargets
{
    /// <summary>Gets the targets.</summary>
    public static IEnumerable<IStoreTarget> All
    {
        get
        {
            yield return new RedisStoreTarget(acrossInstances: false);
            yield return new RedisStoreTarget(acrossInstances: true);
        }
    }
}
