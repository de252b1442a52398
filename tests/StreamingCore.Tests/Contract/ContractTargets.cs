namespace StreamingCore.Testing.Contract;

/// <summary>
/// The implementations this assembly runs the shared contract suite (tests/Shared/Contract) against. Every test
/// project that links the suite defines this class with the targets it can build; here, the in-memory store, read
/// directly and through a deferred reader (registration and delivery later than Publish, as on another instance), so
/// that the suite is known not to lean on synchronous delivery before a cross-instance target runs it.
/// </summary>
public static class ContractTargets
{
    /// <summary>Gets the targets; each contract fixture runs once per target.</summary>
    public static IEnumerable<IStoreTarget> All
    {
        get
        {
            yield return new StreamingCore.Tests.Contract.InMemoryStoreTarget();
            yield return new StreamingCore.Tests.Contract.InMemoryStoreTarget(deferReader: true);
        }
    }
}
