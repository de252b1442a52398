using System.Globalization;
using System.Reactive.Linq;
using System.Reactive.Threading.Tasks;
using Microsoft.Extensions.DependencyInjection;
using StreamingCore;
using StreamingCore.Sample;

// Several simulated LLM responses stream concurrently through one store. One consumer prints a reply live,
// one disconnects mid-stream and resumes exactly, and a summary prints each response's statistics.
using ServiceProvider services = new ServiceCollection()
    .AddChatStreaming(options => options.IdleTimeout = TimeSpan.FromSeconds(30))
    .Services.BuildServiceProvider();
var store = services.GetRequiredService<DefaultChatStreamingStore>();

string[] conversations = ["alice", "bob", "carol", "dave"];
var models = conversations.Select((_, i) => new FakeLlm(seed: i)).ToArray();

// Everything, every conversation, live: what a dashboard or a backplane would observe.
// Observers are fed from their own queue, so wait until this one has seen every response end.
int observed = 0;
Task<ChatStreamingEvent> allEnded = store.Events
    .Do(_ => Interlocked.Increment(ref observed))
    .Where(e => e.IsTerminal)
    .Take(conversations.Length)
    .LastAsync()
    .ToTask();

// Consumers connect before the producers start: afterSequence 0 waits for the next response.
Task<string> live = PrintLiveAsync(store, "alice");
Task<(string Text, long ResumedAfter)> reconnecting = DisconnectAndResumeAsync(store, "bob", disconnectAfterEvents: 15);

Task[] producers = conversations.Select((id, i) => ProduceAsync(store, id, models[i])).ToArray();
await Task.WhenAll(producers);
string aliceText = await live;
(string bobText, long resumedAfter) = await reconnecting;
await allEnded;

Console.WriteLine();
Console.WriteLine();
Console.WriteLine($"bob disconnected after event #{resumedAfter} and resumed with afterSequence {resumedAfter}: " +
    (bobText == models[1].Answer ? $"final text identical to what the model sent ({bobText.Length} characters)." : "TEXT DIFFERS (bug)."));
Console.WriteLine($"alice's live text is {(aliceText == models[0].Answer ? "identical" : "DIFFERENT (bug)")} to what the model sent.");
Console.WriteLine($"Events observed on store.Events: {Volatile.Read(ref observed)}");
Console.WriteLine();
Console.WriteLine("conversation  deltas  chars  first delta  duration  deltas/s  outcome");
foreach (string id in conversations)
{
    ChatResponseStatistics s = store.GetStatistics(id)!;
    Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
        $"{id,-12}  {s.DeltaCount,6}  {s.CharacterCount,5}  {s.TimeToFirstDelta?.TotalMilliseconds,8:F0} ms  {s.Duration.TotalSeconds,6:F2} s  {s.DeltasPerSecond,8:F1}  {s.Outcome}"));
}

return aliceText == models[0].Answer && bobText == models[1].Answer ? 0 : 1;

static async Task ProduceAsync(IChatStreamingStore store, string conversationId, FakeLlm model)
{
    store.Publish(ChatStreamingEvent.Started(conversationId));
    try
    {
        await foreach (string token in model.StreamAsync())
        {
            store.Publish(ChatStreamingEvent.Delta(conversationId, token));
        }

        store.Publish(ChatStreamingEvent.Finished(conversationId, new TokenUsage(InputTokens: 42, OutputTokens: model.Answer.Length / 4)));
    }
    catch (Exception ex)
    {
        store.Publish(ChatStreamingEvent.Failed(conversationId, ex.Message));
        throw;
    }
}

static async Task<string> PrintLiveAsync(IChatStreamingStore store, string conversationId)
{
    var message = new ChatMessageAccumulator();
    Console.Write($"{conversationId}> ");

    // A UI would coalesce deltas into one update per 50 ms; the text stays exact.
    await foreach (ChatStreamingEvent e in store.SubscribeAsync(conversationId).CoalesceDeltas())
    {
        message.Apply(e);
        if (e.Kind == ChatStreamingEventKind.Delta)
        {
            Console.Write(e.Text);
        }
    }

    return message.Text;
}

static async Task<(string Text, long ResumedAfter)> DisconnectAndResumeAsync(IChatStreamingStore store, string conversationId, int disconnectAfterEvents)
{
    var message = new ChatMessageAccumulator();
    await foreach (ChatStreamingEvent e in store.SubscribeAsync(conversationId))
    {
        message.Apply(e);
        if (e.Sequence == disconnectAfterEvents)
        {
            break; // the connection drops: the enumerator is disposed, the store forgets this subscriber
        }
    }

    long resumeAfter = message.LastSequence;
    await Task.Delay(300); // offline for a while; the producer keeps publishing

    // Like a browser's Last-Event-ID: everything after it, once, in order, then live.
    await foreach (ChatStreamingEvent e in store.SubscribeAsync(conversationId, resumeAfter))
    {
        message.Apply(e);
    }

    return (message.Text, resumeAfter);
}
