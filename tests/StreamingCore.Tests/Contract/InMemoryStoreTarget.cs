using Microsoft.Extensions.Time.Testing;
using StreamingCore.Testing.Contract;

namespace StreamingCore.Tests.Contract;

/// <summary>
/// The contract suite's target for <see cref="DefaultChatStreamingStore"/>: one instance is both Producer and Reader,
/// read either directly or through a <see cref="DeferredReader"/>, which moves registration and delivery later as a
/// Reader on another instance would; a contract test that leans on synchronous delivery fails with the second.
/// </summary>
/// <param name="deferReader">Whether subscriptions go through a <see cref="DeferredReader"/>.</param>
internal sealed class InMemoryStoreTarget(bool deferReader = false) : IStoreTarget
{
    public string Name => deferReader ? "in-memory, deferred reader" : "in-memory";

    public Task<StoreUnderTest> CreateAsync(Action<ChatStreamingOptions>? configure = null)
    {
        var options = new ChatStreamingOptions();
        configure?.Invoke(options);
        var time = new FakeTimeProvider();
        return Task.FromResult<StoreUnderTest>(new InMemoryStoreUnderTest(new DefaultChatStreamingStore(options, time), time, deferReader));
    }

    public override string ToString() => Name;
}
