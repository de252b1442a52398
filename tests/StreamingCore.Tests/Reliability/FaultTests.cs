using System.Runtime.CompilerServices;
using NUnit.Framework;
using StreamingCore.Tests.Support;

namespace StreamingCore.Tests.Reliability;

/// <summary>Faults a store must survive: abandoned enumerators, cancellation anywhere, disposal under load.</summary>
public class FaultTests
{
    [Test]
    public async Task An_abandoned_enumerator_is_collected_and_leaves_no_subscriber()
    {
        (DefaultChatStreamingStore store, Microsoft.Extensions.Time.Testing.FakeTimeProvider time) = StoreFixture.Create();
        using (store)
        {
            store.Publish(ChatStreamingEvent.Started("c"));
            WeakReference abandoned = await AbandonAfterFirstEvent(store, "c");
            for (int i = 0; i < 1000; i++)
            {
                store.Publish(ChatStreamingEvent.Delta("c", "text nobody reads "));
            }

            store.Publish(ChatStreamingEvent.Finished("c"));
            time.Advance(new ChatStreamingOptions().RetentionPeriod);
            Collector.FullCollect();

            Assert.Multiple(() =>
            {
                Assert.That(store.SubscriberCount, Is.Zero);
                Assert.That(store.ConversationCount, Is.Zero);
                Assert.That(abandoned.IsAlive, Is.False);
            });
        }
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    private static async Task<WeakReference> AbandonAfterFirstEvent(IChatStreamingStore store, string id)
    {
        IAsyncEnumerator<ChatStreamingEvent> enumerator = store.SubscribeAsync(id).GetAsyncEnumerator();
        Assert.That(await enumerator.MoveNextAsync(), Is.True);
        return new WeakReference(enumerator);
    }

    /// <summary>
    /// Cancels a subscriber at each point it can wait or yield: before Started, during replay, while waiting live,
    /// between live events. Each time the subscription ends with OperationCanceledException, leaves no subscriber
    /// behind, and a resume after the last event received completes the text exactly.
    /// </summary>
    [Test]
    public async Task Cancellation_at_every_point_ends_cleanly_and_a_resume_is_exact()
    {
        const int Deltas = 12;
        string expected = string.Concat(Enumerable.Range(0, Deltas).Select(i => $"{i};"));
        for (int cancelAt = 0; cancelAt <= Deltas + 1; cancelAt++)
        {
            foreach (bool replayed in new[] { false, true })
            {
                (DefaultChatStreamingStore store, _) = StoreFixture.Create();
                using (store)
                {
                    string id = $"c{cancelAt}";
                    using var cts = new CancellationTokenSource();
                    var received = new List<ChatStreamingEvent>();
                    if (replayed)
                    {
                        // Everything is retained before the subscriber comes: it cancels during replay.
                        store.PublishResponse(id, Enumerable.Range(0, Deltas).Select(i => $"{i};").ToArray());
                    }

                    IAsyncEnumerator<ChatStreamingEvent> enumerator = store.SubscribeAsync(id, 0, cts.Token).GetAsyncEnumerator();
                    Exception? ended = null;
                    try
                    {
                        ValueTask<bool> move = enumerator.MoveNextAsync();
                        int published = 0;
                        while (true)
                        {
                            if (received.Count == cancelAt)
                            {
                                await cts.CancelAsync();
                            }

                            if (!replayed && !move.IsCompleted && published < Deltas + 2)
                            {
                                // The subscriber waits live: publish the next event.
                                store.Publish(published == 0 ? ChatStreamingEvent.Started(id) : published <= Deltas ? ChatStreamingEvent.Delta(id, $"{published - 1};") : ChatStreamingEvent.Finished(id));
                                published++;
                            }

                            if (!await move.Guarded())
                            {
                                break;
                            }

                            received.Add(enumerator.Current);
                            move = enumerator.MoveNextAsync();
                        }
                    }
                    catch (OperationCanceledException ex)
                    {
                        ended = ex;
                    }
                    finally
                    {
                        await enumerator.DisposeAsync();
                    }

                    // A cancel after the last replayed event finds the subscription already complete.
                    string where = $"cancel at {cancelAt}, replayed {replayed}";
                    bool complete = received.Count == Deltas + 2;
                    Assert.That(ended is not null || complete, Is.True, where);
                    Assert.That(store.SubscriberCount, Is.Zero, where);

                    // The producer finishes (if it had not), then the subscriber resumes after what it got.
                    if (!replayed)
                    {
                        PublishRest(store, id, received.Count == 0 ? 0 : received[^1].Sequence, Deltas);
                    }

                    long after = received.Count == 0 ? 0 : received[^1].Sequence;
                    List<ChatStreamingEvent> rest = complete ? [] : await store.SubscribeAsync(id, after).ToListAsync();
                    Assert.That(ContractEvents.TextOf(received) + ContractEvents.TextOf(rest), Is.EqualTo(expected), where);
                    Assert.That(ContractEvents.Sequences(received.Concat(rest)), Is.EqualTo(Enumerable.Range(1, Deltas + 2).Select(i => (long)i)), where);
                }
            }
        }
    }

    /// <summary>Publishes whatever of Started, the deltas and Finished the live variant had not published yet.</summary>
    private static void PublishRest(DefaultChatStreamingStore store, string id, long receivedUpTo, int deltas)
    {
        ChatResponseStatistics? statistics = store.GetStatistics(id);
        long published = statistics is null ? 0 : statistics.DeltaCount + 1 + (statistics.Outcome == ChatResponseOutcome.Streaming ? 0 : 1);
        Assert.That(published, Is.GreaterThanOrEqualTo(receivedUpTo));
        for (long next = published + 1; next <= deltas + 2; next++)
        {
            store.Publish(next == 1 ? ChatStreamingEvent.Started(id) : next <= deltas + 1 ? ChatStreamingEvent.Delta(id, $"{next - 2};") : ChatStreamingEvent.Finished(id));
        }
    }

    [Test]
    public async Task A_producer_that_never_finishes_is_freed_by_the_idle_timeout()
    {
        (DefaultChatStreamingStore store, Microsoft.Extensions.Time.Testing.FakeTimeProvider time) = StoreFixture.Create(o => { o.IdleTimeout = TimeSpan.FromSeconds(30); o.RetentionPeriod = TimeSpan.FromMinutes(1); });
        using (store)
        {
            store.Publish(ChatStreamingEvent.Started("stuck"));
            store.Publish(ChatStreamingEvent.Delta("stuck", "half a sen"));
            Task<List<ChatStreamingEvent>> waiting = store.SubscribeAsync("stuck").ToListAsync();

            time.Advance(TimeSpan.FromSeconds(30));
            List<ChatStreamingEvent> received = await waiting.Guarded();
            time.Advance(TimeSpan.FromMinutes(1));

            Assert.Multiple(() =>
            {
                Assert.That(received[^1].Error, Is.EqualTo("idle timeout"));
                Assert.That(store.ActiveResponseCount, Is.Zero);
                Assert.That(store.ConversationCount, Is.Zero);
                Assert.That(store.SubscriberCount, Is.Zero);
            });
        }
    }

    /// <summary>
    /// Disposing the store while producers publish and subscribers read: every producer ends with
    /// ObjectDisposedException, every subscriber with ObjectDisposedException or completion, nothing hangs, and no
    /// task exception goes unobserved.
    /// </summary>
    [Test]
    public async Task Dispose_under_load_ends_producers_and_subscribers_without_hang_or_unobserved_exception()
    {
        int unobserved = 0;
        void OnUnobserved(object? sender, UnobservedTaskExceptionEventArgs e) => Interlocked.Increment(ref unobserved);
        TaskScheduler.UnobservedTaskException += OnUnobserved;
        try
        {
            var store = new DefaultChatStreamingStore(new ChatStreamingOptions { SubscriberCapacity = 8 });
            var midway = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            int published = 0;
            Task[] producers = Enumerable.Range(0, 4).Select(p => Task.Run(() =>
            {
                for (int r = 0; ; r++)
                {
                    string id = $"p{p}-{r % 8}";
                    store.Publish(ChatStreamingEvent.Started(id));
                    for (int d = 0; d < 50; d++)
                    {
                        store.Publish(ChatStreamingEvent.Delta(id, "x"));
                        if (Interlocked.Increment(ref published) == 5_000)
                        {
                            midway.TrySetResult();
                        }
                    }

                    store.Publish(ChatStreamingEvent.Finished(id));
                }
            })).ToArray();
            Task[] subscribers = Enumerable.Range(0, 16).Select(s => Task.Run(async () =>
            {
                for (int r = 0; ; r++)
                {
                    await foreach (ChatStreamingEvent e in store.SubscribeAsync($"p{s % 4}-{r % 8}"))
                    {
                        _ = e;
                    }
                }
            })).ToArray();
            using IDisposable observer = store.Events.Subscribe(_ => { });

            await midway.Task.Guarded();
            store.Dispose();

            foreach (Task producer in producers)
            {
                Assert.That(async () => await producer.Guarded(), Throws.InstanceOf<ObjectDisposedException>());
            }

            foreach (Task subscriber in subscribers)
            {
                Assert.That(async () => await subscriber.Guarded(), Throws.InstanceOf<ObjectDisposedException>());
            }

            Assert.That(store.SubscriberCount, Is.Zero);
        }
        finally
        {
            Collector.FullCollect();
            TaskScheduler.UnobservedTaskException -= OnUnobserved;
        }

        Assert.That(unobserved, Is.Zero);
    }
}
