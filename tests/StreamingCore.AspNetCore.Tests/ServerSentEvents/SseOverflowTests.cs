using NUnit.Framework;
using StreamingCore.AspNetCore.Tests.Support;

namespace StreamingCore.AspNetCore.Tests.ServerSentEvents;

public class SseOverflowTests
{
    private const string Conversation = "overflow";

    [Test]
    public async Task A_Reject_subscriber_that_falls_behind_gets_a_normal_end_of_body_and_resumes_exactly_with_its_last_id()
    {
        await using TestApp app = await TestApp.StartAsync(store =>
        {
            store.SubscriberOverflow = OverflowStrategy.Reject;
            store.SubscriberCapacity = 4;
            store.MaxResponseLength = 16 * 1024 * 1024;
        });
        app.Store.Publish(ChatStreamingEvent.Started(Conversation));
        using SseStream stalled = await SseStream.OpenAsync(app.Client, TestApp.EventsPath(Conversation));

        // Far more than the socket buffers hold: the connection's writes block and its queue of 4 overflows.
        string expected = Overflow.PublishText(app.Store, Conversation, deltas: 4_000);
        app.Store.Publish(ChatStreamingEvent.Finished(Conversation));

        List<WireEvent> before = await stalled.ReadToEndAsync();
        using SseStream resumed = await SseStream.OpenAsync(app.Client, TestApp.EventsPath(Conversation), before[^1].Id);
        List<WireEvent> after = await resumed.ReadThroughAsync("finished");

        Assert.That(before.Select(e => e.Type), Has.None.EqualTo("finished"), "the first connection ended early");
        Assert.That(before.Concat(after).Select(e => e.Sequence), Is.EqualTo(Enumerable.Range(1, 4_002).Select(s => (long)s)));
        Assert.That(Overflow.Text(before) + Overflow.Text(after), Is.EqualTo(expected));
    }
}

internal static class Overflow
{
    public static string PublishText(IChatStreamingStore store, string conversationId, int deltas)
    {
        string chunk = new('x', 1000);
        var expected = new System.Text.StringBuilder();
        for (int i = 0; i < deltas; i++)
        {
            string text = $"{i:D6}{chunk}";
            expected.Append(text);
            store.Publish(ChatStreamingEvent.Delta(conversationId, text));
        }

        return expected.ToString();
    }

    public static string Text(IEnumerable<WireEvent> events) => string.Concat(events.Where(e => e.Type == "delta").Select(e => e.Text));
}
