using Microsoft.Extensions.AI;
using NUnit.Framework;
using StreamingCore.AI.Tests.Support;
using static StreamingCore.AI.Tests.Support.StoreFixture;

namespace StreamingCore.AI.Tests;

/// <summary>Many conversations through one middleware at once.</summary>
public class ConcurrencyTests
{
    private const int Conversations = 100;
    private const int WordsPerAnswer = 50;

    [Test]
    public async Task One_hundred_conversations_stream_through_one_middleware_at_once_each_exact()
    {
        using DefaultChatStreamingStore store = CreateStore();

        // Each answer is made of the conversation's own words, so a delta in the wrong conversation would show.
        var inner = new ScriptedChatClient(messages =>
        {
            string id = messages.Last().Text;
            return Enumerable.Range(0, WordsPerAnswer).Select(i => Text($"{id}:{i} ")).ToArray();
        });

        // Every stream waits at its second update until all are active, so all 100 responses are in flight together.
        Gate allStarted = inner.BlockAt(1, arrivals: Conversations);
        using var client = new ChatStreamingChatClient(inner, store);
        string[] ids = Enumerable.Range(0, Conversations).Select(i => $"conversation-{i}").ToArray();

        Task<string>[] callers = ids.Select(id => Task.Run(async () =>
        {
            List<ChatResponseUpdate> received = await client.GetStreamingResponseAsync(Prompt(id), Options(id)).ReadAllAsync(TestGuard.Token);
            return string.Concat(received.Select(u => u.Text));
        })).ToArray();
        Task<List<ChatStreamingEvent>>[] subscribers = ids.Select(id => store.ReadResponseAsync(id)).ToArray();

        await allStarted.Reached.Guarded();
        Assert.That(store.ActiveResponseCount, Is.EqualTo(Conversations), "every response is active at once");
        allStarted.Release();

        string[] callerTexts = await Task.WhenAll(callers).Guarded();
        List<ChatStreamingEvent>[] published = await Task.WhenAll(subscribers).Guarded();

        Assert.Multiple(() =>
        {
            for (int i = 0; i < Conversations; i++)
            {
                string expected = string.Concat(Enumerable.Range(0, WordsPerAnswer).Select(w => $"{ids[i]}:{w} "));
                Assert.That(callerTexts[i], Is.EqualTo(expected), ids[i]);
                Assert.That(string.Concat(published[i].Deltas()), Is.EqualTo(expected), ids[i]);
                Assert.That(published[i].Terminal().Kind, Is.EqualTo(ChatStreamingEventKind.Finished), ids[i]);
            }

            Assert.That(store.ActiveResponseCount, Is.Zero);
            Assert.That(inner.Calls, Has.Count.EqualTo(Conversations));
        });
    }
}
