using System.Collections.Concurrent;
using NUnit.Framework;
using StreamingCore.Tests.Support;

namespace StreamingCore.Tests.Store;

public class ConcurrencyTests
{
    private const int Producers = 4;
    private const int ConversationsPerProducer = 100;
    private const int SubscribersPerConversation = 2;
    private const int DeltasPerResponse = 40;

    private static string Piece(string id, int i) => i % 7 == 0 ? $"[{id}:{i}:🙂漢字é]" : $"[{id}:{i}]";

    /// <summary>
    /// 4 producer threads, each streaming 100 conversations interleaved, 2 subscribers per conversation: every
    /// subscriber's reassembled text equals exactly what its producer sent, with consecutive sequences.
    /// </summary>
    [Test]
    public async Task Every_subscriber_reassembles_exactly_what_its_producer_sent()
    {
        (DefaultChatStreamingStore store, _) = StoreFixture.Create();
        using (store)
        {
            string[][] conversations = Enumerable.Range(0, Producers)
                .Select(p => Enumerable.Range(0, ConversationsPerProducer).Select(c => $"p{p}-c{c}").ToArray())
                .ToArray();
            var sent = new ConcurrentDictionary<string, string>();
            var subscribers = conversations.SelectMany(ids => ids)
                .SelectMany(id => Enumerable.Range(0, SubscribersPerConversation).Select(_ => (Id: id, Events: Task.Run(() => store.SubscribeAsync(id).ToListAsync()))))
                .ToList();

            var start = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            Task[] producers = conversations.Select(ids => Task.Run(async () =>
            {
                await start.Task.ConfigureAwait(false);
                var texts = ids.ToDictionary(id => id, _ => new System.Text.StringBuilder());
                foreach (string id in ids)
                {
                    store.Publish(ChatStreamingEvent.Started(id));
                }

                for (int i = 0; i < DeltasPerResponse; i++)
                {
                    foreach (string id in ids)
                    {
                        string piece = Piece(id, i);
                        texts[id].Append(piece);
                        store.Publish(ChatStreamingEvent.Delta(id, piece));
                    }
                }

                foreach (string id in ids)
                {
                    store.Publish(ChatStreamingEvent.Finished(id));
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
                List<ChatStreamingEvent> received = events.Result;
                Assert.That(StoreFixture.TextOf(received), Is.EqualTo(sent[id]), id);
                Assert.That(StoreFixture.Sequences(received), Is.EqualTo(expectedSequences), id);
                Assert.That(received.All(e => e.ConversationId == id), Is.True, id);
            }

            Assert.That(store.ActiveResponseCount, Is.Zero);
        }
    }

    [Test]
    public async Task Concurrent_starts_never_exceed_MaxActiveResponses()
    {
        (DefaultChatStreamingStore store, _) = StoreFixture.Create(o => o.MaxActiveResponses = 50);
        using (store)
        {
            int accepted = 0;
            int refused = 0;
            await Task.WhenAll(Enumerable.Range(0, Environment.ProcessorCount * 2).Select(t => Task.Run(() =>
            {
                for (int i = 0; i < 100; i++)
                {
                    try
                    {
                        store.Publish(ChatStreamingEvent.Started($"t{t}-{i}"));
                        Interlocked.Increment(ref accepted);
                    }
                    catch (ChatStreamingException ex) when (ex.Error == ChatStreamingError.TooManyActiveResponses)
                    {
                        Interlocked.Increment(ref refused);
                    }
                }
            }))).Guarded();

            Assert.Multiple(() =>
            {
                Assert.That(accepted, Is.EqualTo(50));
                Assert.That(store.ActiveResponseCount, Is.EqualTo(50));
                Assert.That(store.ConversationCount, Is.EqualTo(50));
                Assert.That(refused, Is.EqualTo((Environment.ProcessorCount * 200) - 50));
            });
        }
    }
}
