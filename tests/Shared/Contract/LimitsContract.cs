using System.Collections.Concurrent;
using NUnit.Framework;

namespace StreamingCore.Testing.Contract;

/// <summary>Exceeding a limit (subscribers per conversation, events per response, active responses) is a clear, typed refusal, never a crash.</summary>
/// <param name="target">The implementation under test.</param>
[TestFixtureSource(typeof(ContractTargets), nameof(ContractTargets.All))]
public class LimitsContract(IStoreTarget target) : StoreContract(target)
{
    [Test]
    public async Task Too_many_subscribers_are_refused_and_a_slot_frees_when_one_leaves()
    {
        await using StoreUnderTest store = await CreateAsync(o => o.MaxSubscribersPerConversation = 2);
        store.Producer.Publish(ChatStreamingEvent.Started("c"));
        await using IAsyncEnumerator<ChatStreamingEvent> first = store.Reader.SubscribeAsync("c").GetAsyncEnumerator(TestGuard.Token);
        IAsyncEnumerator<ChatStreamingEvent> second = store.Reader.SubscribeAsync("c").GetAsyncEnumerator(TestGuard.Token);
        Assert.That(await first.MoveNextAsync().Guarded() && await second.MoveNextAsync().Guarded(), Is.True);

        var ex = await Assert.ThrowsAsync<ChatStreamingException>(async () => await store.Reader.SubscribeAsync("c").ReadAllAsync());
        Assert.That(ex!.Error, Is.EqualTo(ChatStreamingError.TooManySubscribers));
        Assert.That(ex.Message, Does.Contain("MaxSubscribersPerConversation"));

        await second.DisposeAsync();
        Task<List<ChatStreamingEvent>> third = store.Reader.SubscribeAsync("c").ReadAllAsync();
        await store.SubscribedAsync("c", 2).Guarded();
        store.Producer.Publish(ChatStreamingEvent.Finished("c"));
        Assert.That((await third.Guarded()).Count, Is.EqualTo(2));
    }

    [Test]
    public async Task A_response_of_endless_empty_deltas_is_refused_at_the_events_limit_and_can_still_end()
    {
        await using StoreUnderTest store = await CreateAsync(o => o.IdleTimeout = Timeout.InfiniteTimeSpan);
        store.Producer.Publish(ChatStreamingEvent.Started("c"));
        ChatStreamingException? refused = null;
        int accepted = 0;
        for (int i = 0; i < 1_000_000 && refused is null; i++)
        {
            try
            {
                store.Producer.Publish(ChatStreamingEvent.Delta("c", string.Empty));
                accepted++;
            }
            catch (ChatStreamingException ex)
            {
                refused = ex;
            }
        }

        Assert.That(refused, Is.Not.Null, "a response cannot grow by empty deltas without limit");
        Assert.Multiple(() =>
        {
            Assert.That(refused!.Error, Is.EqualTo(ChatStreamingError.ResponseTooLong));
            Assert.That(refused.Message, Does.Contain("MaxEventsPerResponse"));
            Assert.That(accepted + 2, Is.EqualTo(new ChatStreamingOptions().MaxEventsPerResponse), "Started, the deltas and room for the end");
        });
        Assert.That(store.Producer.Publish(ChatStreamingEvent.Finished("c")).Kind, Is.EqualTo(ChatStreamingEventKind.Finished));
    }

    [Test]
    public async Task Concurrent_starts_never_exceed_MaxActiveResponses()
    {
        await using StoreUnderTest store = await CreateAsync(o => o.MaxActiveResponses = 50);
        int accepted = 0;
        var refused = new ConcurrentBag<string>();
        await Task.WhenAll(Enumerable.Range(0, Environment.ProcessorCount * 2).Select(t => Task.Run(() =>
        {
            for (int i = 0; i < 100; i++)
            {
                string id = $"t{t}-{i}";
                try
                {
                    store.Producer.Publish(ChatStreamingEvent.Started(id));
                    Interlocked.Increment(ref accepted);
                }
                catch (ChatStreamingException ex) when (ex.Error == ChatStreamingError.TooManyActiveResponses)
                {
                    refused.Add(id);
                }
            }
        }))).Guarded();

        Assert.Multiple(() =>
        {
            Assert.That(accepted, Is.EqualTo(50));
            Assert.That(store.ActiveResponseCount, Is.EqualTo(50));
            Assert.That(refused, Has.Count.EqualTo((Environment.ProcessorCount * 200) - 50));
        });

        // A refused start leaves nothing behind.
        foreach (string id in refused)
        {
            await store.ReleasedAsync(id).Guarded();
        }
    }
}
