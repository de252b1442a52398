using System.Reactive.Subjects;
using Microsoft.Extensions.Time.Testing;
using NUnit.Framework;
using StreamingCore.Tests.Support;

namespace StreamingCore.Tests.Consumers;

public class CoalesceDeltasTests
{
    private static readonly TimeSpan Window = TimeSpan.FromMilliseconds(50);

    private static ChatStreamingEvent Stamped(ChatStreamingEvent e, long sequence)
        => e.Stamp(new ChatStreamOrigin(e.ConversationId, "e1"), sequence, DateTimeOffset.UnixEpoch.AddSeconds(sequence));

    [Test]
    public void Observable_batches_deltas_within_the_window_and_flushes_before_other_events()
    {
        var time = new FakeTimeProvider();
        var source = new Subject<ChatStreamingEvent>();
        var received = new List<ChatStreamingEvent>();
        using IDisposable subscription = source.CoalesceDeltas(Window, time).Subscribe(received.Add);

        source.OnNext(Stamped(ChatStreamingEvent.Started("c"), 1));
        source.OnNext(Stamped(ChatStreamingEvent.Delta("c", "Hel"), 2));
        source.OnNext(Stamped(ChatStreamingEvent.Delta("c", "lo "), 3));
        time.Advance(Window - TimeSpan.FromTicks(1));
        Assert.That(received, Has.Count.EqualTo(1), "the window is still open");

        time.Advance(TimeSpan.FromTicks(1));
        source.OnNext(Stamped(ChatStreamingEvent.Delta("c", "wor"), 4));
        source.OnNext(Stamped(ChatStreamingEvent.Delta("c", "ld!"), 5));
        source.OnNext(Stamped(ChatStreamingEvent.Finished("c"), 6));

        Assert.Multiple(() =>
        {
            Assert.That(received.Select(e => (e.Kind, e.Text, e.Sequence)), Is.EqualTo(new[]
            {
                (ChatStreamingEventKind.Started, (string?)null, 1L),
                (ChatStreamingEventKind.Delta, "Hello ", 3L),
                (ChatStreamingEventKind.Delta, "world!", 5L),
                (ChatStreamingEventKind.Finished, null, 6L),
            }));
            Assert.That(received[1].Timestamp, Is.EqualTo(DateTimeOffset.UnixEpoch.AddSeconds(3)));
        });
    }

    [Test]
    public void Observable_never_merges_deltas_of_different_conversations()
    {
        var time = new FakeTimeProvider();
        var source = new Subject<ChatStreamingEvent>();
        var received = new List<ChatStreamingEvent>();
        using IDisposable subscription = source.CoalesceDeltas(Window, time).Subscribe(received.Add);

        source.OnNext(Stamped(ChatStreamingEvent.Delta("a", "1"), 1));
        source.OnNext(Stamped(ChatStreamingEvent.Delta("b", "2"), 1));
        source.OnNext(Stamped(ChatStreamingEvent.Delta("b", "3"), 2));
        source.OnCompleted();

        Assert.That(received.Select(e => (e.ConversationId, e.Text)), Is.EqualTo(new[] { ("a", "1"), ("b", "23") }));
    }

    [Test]
    public async Task Async_enumerable_batches_a_burst_and_keeps_the_text_exact()
    {
        var time = new FakeTimeProvider();
        (DefaultChatStreamingStore store, _) = StoreFixture.Create();
        using (store)
        {
            // The whole response is retained before the consumer starts, so it arrives as one burst.
            store.PublishResponse("c", "Hello ", "wor", "ld!");
            List<ChatStreamingEvent> received = await store.SubscribeAsync("c").CoalesceDeltas(Window, time).ToListAsync();

            Assert.That(received.Select(e => (e.Kind, e.Text, e.Sequence)), Is.EqualTo(new[]
            {
                (ChatStreamingEventKind.Started, (string?)null, 1L),
                (ChatStreamingEventKind.Delta, "Hello world!", 4L),
                (ChatStreamingEventKind.Finished, null, 5L),
            }));
        }
    }

    [Test]
    public async Task Async_enumerable_emits_a_batch_when_the_window_closes_while_the_source_is_quiet()
    {
        var time = new FakeTimeProvider();
        (DefaultChatStreamingStore store, _) = StoreFixture.Create();
        using (store)
        {
            store.Publish(ChatStreamingEvent.Started("c"));
            store.Publish(ChatStreamingEvent.Delta("c", "Hi"));
            await using IAsyncEnumerator<ChatStreamingEvent> events = store.SubscribeAsync("c").CoalesceDeltas(Window, time).GetAsyncEnumerator(TestGuard.Token);
            Assert.That(await events.MoveNextAsync(), Is.True);
            Assert.That(events.Current.Kind, Is.EqualTo(ChatStreamingEventKind.Started));

            ValueTask<bool> next = events.MoveNextAsync();
            store.Publish(ChatStreamingEvent.Delta("c", " there"));

            // Only the window's end can release the batch: the source has nothing more.
            while (!next.IsCompleted)
            {
                time.Advance(Window);
                await Task.Yield();
            }

            Assert.That(await next.Guarded(), Is.True);
            Assert.That(events.Current.Text, Does.StartWith("Hi"));
            string text = events.Current.Text!;
            store.Publish(ChatStreamingEvent.Finished("c"));
            while (await events.MoveNextAsync())
            {
                text += events.Current.Text;
            }

            Assert.That(text, Is.EqualTo("Hi there"));
        }
    }

    [Test]
    public void Invalid_arguments_are_refused()
    {
        Assert.Multiple(() =>
        {
            Assert.That(() => ((IObservable<ChatStreamingEvent>)null!).CoalesceDeltas(), Throws.ArgumentNullException.With.Property("ParamName").EqualTo("source"));
            Assert.That(() => new Subject<ChatStreamingEvent>().CoalesceDeltas(TimeSpan.Zero), Throws.InstanceOf<ArgumentOutOfRangeException>().With.Property("ParamName").EqualTo("window"));
            Assert.That(() => AsyncEnumerable.Empty<ChatStreamingEvent>().CoalesceDeltas(TimeSpan.FromSeconds(-1)), Throws.InstanceOf<ArgumentOutOfRangeException>());
        });
    }
}
