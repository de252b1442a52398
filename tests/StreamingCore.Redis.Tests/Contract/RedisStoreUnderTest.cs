using Microsoft.Extensions.Time.Testing;
using NUnit.Framework;
using StreamingCore.Redis.Tests.Support;
using StreamingCore.Testing.Contract;

namespace StreamingCore.Redis.Tests.Contract;

/// <summary>Redis stores under test: the producer's instance and the reader's (the same one for a single-instance target).</summary>
internal sealed class RedisStoreUnderTest(Instances instances, RedisChatStreamingStore producer, RedisChatStreamingStore reader) : StoreUnderTest
{
    public override IChatStreamingStore Producer => producer;

    public override IChatStreamingStore Reader => reader;

    public override FakeTimeProvider Time => instances.Time;

    public override int ActiveResponseCount => producer.Local.ActiveResponseCount;

    // Redis keeps a conversation's epoch and last sequence for MetadataExpiry (30 days), well after its history.
    public override bool NumberingOutlivesRetention => true;

    public override long DroppedEventCount => reader.Local.DroppedEventCount;

    public override ChatResponseStatistics? GetStatistics(string conversationId) => producer.GetStatistics(conversationId);

    public override IReadOnlyList<ChatResponseStatistics> GetResponseStatistics(string conversationId) => producer.GetResponseStatistics(conversationId);

    public override Task SubscribedAsync(string conversationId, int count) => reader.WhenSubscribedAsync(conversationId, count);

    public override async Task DeliveredAsync(string conversationId, long sequence)
    {
        // The producer's own instance hands each event to its subscriptions before Publish returns; another instance applies
        // it when it arrives from Redis.
        if (reader != producer)
        {
            await reader.WhenAppliedAsync(conversationId, sequence).ConfigureAwait(false);
        }
    }

    public override Task ReleasedAsync(string conversationId)
        => Holding(conversationId) is { } holder ? Fail($"'{conversationId}' is still held by {holder}.") : Task.CompletedTask;

    public override Task NotRetainedAsync(string conversationId, long throughSequence)
    {
        foreach (RedisChatStreamingStore store in Stores)
        {
            IReadOnlyList<ChatResponseStatistics> retained = store.GetResponseStatistics(conversationId);
            if (retained.Count > 0 && retained[0].StartSequence <= throughSequence)
            {
                return Fail($"'{conversationId}' still retains sequence {retained[0].StartSequence} on an instance, at or before {throughSequence}.");
            }
        }

        return Task.CompletedTask;
    }

    protected override ValueTask DisposeAsyncCore() => instances.DisposeAsync();

    private IEnumerable<RedisChatStreamingStore> Stores => producer == reader ? [producer] : [producer, reader];

    private string? Holding(string conversationId)
    {
        foreach (RedisChatStreamingStore store in Stores)
        {
            if (store.GetResponseStatistics(conversationId).Count > 0)
            {
                return store == producer ? "the producer's instance (a response)" : "the reader's instance (a response)";
            }
        }

        return null;
    }

    private static Task Fail(string message) => Task.FromException(new AssertionException(message));
}
