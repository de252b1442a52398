using Microsoft.Extensions.Time.Testing;
using StreamingCore.Testing.Contract;

namespace StreamingCore.Tests.Contract;

/// <summary>The contract suite's target for <see cref="DefaultChatStreamingStore"/>: one instance is both Producer and Reader.</summary>
internal sealed class InMemoryStoreTarget : IStoreTarget
{
    public string Name => "in-memory";

    public Task<StoreUnderTest> CreateAsync(Action<ChatStreamingOptions>? configure = null)
    {
        var options = new ChatStreamingOptions();
        configure?.Invoke(options);
        var time = new FakeTimeProvider();
        return Task.FromResult<StoreUnderTest>(new InMemoryStoreUnderTest(new DefaultChatStreamingStore(options, time), time));
    }

    public override string ToString() => Name;
}
