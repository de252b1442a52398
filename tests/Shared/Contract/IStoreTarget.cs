namespace StreamingCore.Testing.Contract;

/// <summary>
/// One implementation of <see cref="IChatStreamingStore"/> that the shared contract suite runs against (the in-memory
/// store; a Redis store read on another instance). Each test project lists its targets in its own
/// <c>StreamingCore.Testing.Contract.ContractTargets.All</c>, and every contract fixture runs once per target.
/// </summary>
/// <remarks>
/// NUnit names each fixture after its argument's <see cref="object.ToString"/>, so an implementation returns
/// <see cref="Name"/> from it: a failure then says which implementation broke the rule.
/// </remarks>
public interface IStoreTarget
{
    /// <summary>Gets the name shown in test results, e.g. <c>in-memory</c> or <c>redis, read on another instance</c>.</summary>
    string Name { get; }

    /// <summary>
    /// Creates a fresh store under test, isolated from every other test's (its own conversations, its own clock).
    /// Asynchronous because a target may have to connect somewhere before its store is usable.
    /// </summary>
    /// <param name="configure">Changes the options of every instance of the store, as a test needs them.</param>
    /// <returns>The store; the test disposes it.</returns>
    Task<StoreUnderTest> CreateAsync(Action<ChatStreamingOptions>? configure = null);
}
