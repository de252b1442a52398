namespace StreamingCore.Testing.Contract;

/// <summary>
/// The base of every contract fixture: it holds the target the fixture runs against (one fixture instance per
/// target of <c>ContractTargets.All</c>) and creates a fresh store under test for each test.
/// </summary>
/// <param name="target">The implementation under test.</param>
public abstract class StoreContract(IStoreTarget target)
{
    /// <summary>Gets the implementation under test.</summary>
    protected IStoreTarget Target { get; } = target;

    /// <summary>Creates a fresh store under test; the test disposes it.</summary>
    /// <param name="configure">Changes the options of every instance of the store.</param>
    /// <returns>The store.</returns>
    protected Task<StoreUnderTest> CreateAsync(Action<ChatStreamingOptions>? configure = null) => Target.CreateAsync(configure).Guarded();
}
