using System.Collections.Concurrent;
using NUnit.Framework;

namespace StreamingCore.Testing.Contract;

/// <summary>Concurrent producers and many subscribers: every subscriber on the Reader reassembles exactly what its producer sent.</summary>
/// <param name="target">The implementation under test.</param>
[TestFixtureSource(typeof(ContractTargets), nameof(ContractTargets.All))]
public class ConcurrencyContract(IStoreTarget target) : StoreContract(target)
{
    private const int Producers = 4;
    private const int ConversationsPerProducer = 100;
    private const int SubscribersPerConversation = 2;
    private const int DeltasPerResponse = 40;

    private static string Piece(string id, int i) => i % 7 == 0 ? $"[{id}:{i}:🙂漢字é]" : $"[{id}:{i}]";

    /// <summary>
    /// 4 producer threads, each streaming 100 conversations interleaved, 2 subscribers per conversation waiting before
    /// the producers start: every subscriber's reassembled text equals exactly what its producer sent, with consecutive
    /// sequences.
    /// </summary>
    [Test]
    public async Task Every_subscriber_reassembles_exactly_what_its_producer_sent()
    {
        await using StoreUnderTest store = await CreateAsync();
        string[][] conversations = Enumerable.Range(0, Producers)
            .Select(p => Enumerable.Range(0, ConversationsPerProducer).Select(c => $"p{p}-c{c}").ToArray())
            .ToArray();
        var sent = new ConcurrentDictionary<string, string>();
        var subscribers = conversations.SelectMany(ids => ids)
            .SelectMany(id => Enumerable.Range(0, SubscribersPerConversation).Select(_ => (Id: id, Events: store.Reader.SubscribeAsync(id).ReadAllAsync())))
            .ToList();
        foreach (string id in conversations.SelectMany(ids => ids))
        {
            await store.SubscribedAsync(id, SubscribersPerConversation).Guarded();
        }

        var start = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        Task[] producers = conversations.Select(ids => Task.Run(async () =>
        {
            await start.Task.ConfigureAwait(false);
            var texts = ids.ToDictionary(id => id, _ => new System.Text.StringBuilder());
            foreach (string id in ids)
            {
                store.Producer.Publish(ChatStreamingEvent.Started(id));
            }

            for (int i = 0; i < DeltasPerResponse; i++)
            {
                foreach (string id in ids)
                {
                    string piece = Piece(id, i);
                    texts[id].Append(piece);
                    store.Producer.Publish(ChatStreamingEvent.Delta(id, piece));
                }
            }

            foreach (string id in ids)
            {
                store.Producer.Publish(ChatStreamingEvent.Finished(id));
                sent[id] = texts[id].ToString();
            }
        })).ToArray();

        start.SetResult();
        await Task.WhenAll(producers).Guarded();
        await Task.WhenAll(subscribers.Select(s => s.Events)).Guarded();

        long[] expectedSequences = Enumerable.Range(1, DeltasPerResponse + 2).Select(i => (long)i).ToArray();
        Assert.That(subscribers, Has.Count.EqualTo(Producers * ConversationsPerProducer * SubscribersPerConversation));
        foreach ((string id, Task<List<ChatStreamingEvent>> events) in subscribers)
        {
            List<ChatStreamingEvent> received = await events;
            Assert.That(ContractEvents.TextOf(received), Is.EqualTo(sent[id]), id);
            Assert.That(ContractEvents.Sequences(received), Is.EqualTo(expectedSequences), id);
            Assert.That(received.All(e => e.ConversationId == id), Is.True, id);
        }

        Assert.That(store.ActiveResponseCount, Is.Zero);
    }
}
