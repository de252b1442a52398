using System.Globalization;
using Microsoft.Extensions.Time.Testing;

namespace StreamingCore.Benchmarks.Infrastructure;

/// <summary>
/// Goal 5, measured with the GC rather than with timings: the bytes a retained response of 1,000 deltas holds,
/// against the size of its text; and the heap after 100,000 responses finished and were evicted.
/// Run with: dotnet run -c Release --project benchmarks/StreamingCore.Benchmarks -- memory
/// </summary>
internal static class RetentionMemoryReport
{
    private const int DeltasPerResponse = 1_000;
    private const int RetainedResponses = 200;
    private const int EvictedResponses = 100_000;
    private static readonly TimeSpan Retention = TimeSpan.FromMinutes(5);

    public static void Run(TextWriter output, bool quick)
    {
        int retained = quick ? 10 : RetainedResponses;
        int evicted = quick ? 1_000 : EvictedResponses;

        var time = new FakeTimeProvider();
        using var store = new DefaultChatStreamingStore(new ChatStreamingOptions { RetentionPeriod = Retention, IdleTimeout = Timeout.InfiniteTimeSpan }, time);

        long before = Heap();
        long textChars = 0;
        for (int r = 0; r < retained; r++)
        {
            textChars += PublishResponse(store, $"retained-{r}");
        }

        long held = Heap() - before;
        double perResponse = (double)held / retained;
        double textBytesPerResponse = 2.0 * textChars / retained;   // UTF-16: two bytes a character
        int eventsPerResponse = DeltasPerResponse + 2;
        double budget = (2 * textBytesPerResponse) + (32.0 * eventsPerResponse);

        time.Advance(Retention);
        long baseline = Heap();
        for (int r = 0; r < evicted; r++)
        {
            PublishResponse(store, $"evicted-{r % 1000}", deltas: 20);
            if (r % 1000 == 999)
            {
                time.Advance(Retention);
            }
        }

        time.Advance(Retention);
        long after = Heap();

        CultureInfo inv = CultureInfo.InvariantCulture;
        output.WriteLine("| measure | value |");
        output.WriteLine("|---|---|");
        output.WriteLine(string.Create(inv, $"| bytes held per retained response of {DeltasPerResponse:N0} deltas (store structures + delta strings) | {perResponse:N0} |"));
        output.WriteLine(string.Create(inv, $"| text size per response (UTF-16 bytes) | {textBytesPerResponse:N0} |"));
        output.WriteLine(string.Create(inv, $"| goal: 2 × text + 32 B × {eventsPerResponse:N0} events | {budget:N0} |"));
        output.WriteLine(string.Create(inv, $"| held / goal | {perResponse / budget:P0} |"));
        output.WriteLine(string.Create(inv, $"| heap before {evicted:N0} responses (after evicting the retained ones) | {baseline:N0} |"));
        output.WriteLine(string.Create(inv, $"| heap after they finished and were evicted | {after:N0} |"));
        output.WriteLine(string.Create(inv, $"| difference | {after - baseline:N0} |"));
        output.WriteLine(string.Create(inv, $"| conversations / active responses left | {store.ConversationCount} / {store.ActiveResponseCount} |"));
    }

    /// <summary>Publishes one response with fresh delta strings of 1 to 7 characters (typical token sizes); returns its characters.</summary>
    private static long PublishResponse(DefaultChatStreamingStore store, string conversationId, int deltas = DeltasPerResponse)
    {
        long chars = 0;
        store.Publish(ChatStreamingEvent.Started(conversationId));
        for (int i = 0; i < deltas; i++)
        {
            string token = new('x', 1 + (i % 7));
            chars += token.Length;
            store.Publish(ChatStreamingEvent.Delta(conversationId, token));
        }

        store.Publish(ChatStreamingEvent.Finished(conversationId));
        return chars;
    }

    private static long Heap()
    {
        GC.Collect();
        GC.WaitForPendingFinalizers();
        GC.Collect();
        return GC.GetTotalMemory(forceFullCollection: true);
    }
}
