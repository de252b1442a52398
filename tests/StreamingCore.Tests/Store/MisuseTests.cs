using NUnit.Framework;
using StreamingCore.Tests.Support;

namespace StreamingCore.Tests.Store;

/// <summary>
/// Each misuse gives the documented exception, changes nothing, and a neighbouring conversation that streams
/// throughout (with a live subscriber) ends with exactly the text and sequences it would have had anyway.
/// </summary>
public class MisuseTests
{
    private const string Neighbour = "healthy";
    private const string Victim = "victim";

    public static IEnumerable<TestCaseData> Misuses()
    {
        yield return Case("Delta before Started", (s, _) => s.Publish(ChatStreamingEvent.Delta(Victim, "x")), ChatStreamingError.ResponseNotStarted);
        yield return Case("Finished before Started", (s, _) => s.Publish(ChatStreamingEvent.Finished(Victim)), ChatStreamingError.ResponseNotStarted);
        yield return Case("Failed before Started", (s, _) => s.Publish(ChatStreamingEvent.Failed(Victim, "e")), ChatStreamingError.ResponseNotStarted);
        yield return Case("second Started", (s, _) =>
        {
            s.Publish(ChatStreamingEvent.Started(Victim));
            s.Publish(ChatStreamingEvent.Started(Victim));
        }, ChatStreamingError.ResponseAlreadyStarted);
        yield return Case("Delta after Finished", (s, _) =>
        {
            s.PublishResponse(Victim, "done");
            s.Publish(ChatStreamingEvent.Delta(Victim, "late"));
        }, ChatStreamingError.ResponseNotStarted);
        yield return Case("Finished after Failed", (s, _) =>
        {
            s.Publish(ChatStreamingEvent.Started(Victim));
            s.Publish(ChatStreamingEvent.Failed(Victim, "boom"));
            s.Publish(ChatStreamingEvent.Finished(Victim));
        }, ChatStreamingError.ResponseNotStarted);
        yield return Case("oversize delta", (s, o) =>
        {
            s.Publish(ChatStreamingEvent.Started(Victim));
            s.Publish(ChatStreamingEvent.Delta(Victim, new string('x', o.MaxResponseLength + 1)));
        }, ChatStreamingError.ResponseTooLong);
        yield return Case("over MaxActiveResponses", (s, o) =>
        {
            // The neighbour holds one slot.
            for (int i = 1; i < o.MaxActiveResponses; i++)
            {
                s.Publish(ChatStreamingEvent.Started($"filler-{i}"));
            }

            s.Publish(ChatStreamingEvent.Started(Victim));
        }, ChatStreamingError.TooManyActiveResponses);

        yield return Argument("null conversation id", (s, _) => s.Publish(ChatStreamingEvent.Started(null!)), typeof(ArgumentNullException), "conversationId");
        yield return Argument("empty conversation id", (s, _) => s.Publish(ChatStreamingEvent.Delta("", "x")), typeof(ArgumentException), "conversationId");
        yield return Argument("control character in conversation id", (s, _) => s.Publish(ChatStreamingEvent.Started("a\u0007b")), typeof(ArgumentException), "conversationId");
        yield return Argument("negative afterSequence", (s, _) => s.SubscribeAsync(Victim, -1), typeof(ArgumentOutOfRangeException), "afterSequence");
        yield return Argument("afterSequence beyond the last published", (s, _) =>
        {
            s.PublishResponse(Victim, "a");
            Drain(s.SubscribeAsync(Victim, 4));
        }, typeof(ArgumentOutOfRangeException), "afterSequence");
        yield return Case("afterSequence no longer retained", (s, _) => Drain(s.SubscribeAsync(Victim, 3)), ChatStreamingError.SequenceNotRetained);
        yield return Case("too many subscribers", (s, o) =>
        {
            s.Publish(ChatStreamingEvent.Started(Victim));
            for (int i = 0; i <= o.MaxSubscribersPerConversation; i++)
            {
                _ = s.SubscribeAsync(Victim).GetAsyncEnumerator().MoveNextAsync().AsTask().GetAwaiter().GetResult();
            }
        }, ChatStreamingError.TooManySubscribers);
        yield return Case("Failed after Finished", (s, _) =>
        {
            s.Publish(ChatStreamingEvent.Started(Victim));
            s.Publish(ChatStreamingEvent.Finished(Victim));
            s.Publish(ChatStreamingEvent.Failed(Victim, "late"));
        }, ChatStreamingError.ResponseNotStarted);
        yield return Argument("white-space conversation id", (s, _) => s.Publish(ChatStreamingEvent.Started("  ")), typeof(ArgumentException), "conversationId");
        yield return Argument("over-long conversation id", (s, _) => s.Publish(ChatStreamingEvent.Started(new string('v', 257))), typeof(ArgumentException), "conversationId");
        yield return Argument("null delta", (s, _) =>
        {
            s.Publish(ChatStreamingEvent.Started(Victim));
            s.Publish(ChatStreamingEvent.Delta(Victim, null!));
        }, typeof(ArgumentNullException), "text");
        yield return Argument("event not made by a factory", (s, _) => s.Publish(default), typeof(ArgumentException), "streamingEvent");

        static void Drain(IAsyncEnumerable<ChatStreamingEvent> events)
        {
            IAsyncEnumerator<ChatStreamingEvent> enumerator = events.GetAsyncEnumerator();
            try
            {
                while (enumerator.MoveNextAsync().AsTask().GetAwaiter().GetResult())
                {
                }
            }
            finally
            {
                enumerator.DisposeAsync().AsTask().GetAwaiter().GetResult();
            }
        }

        static TestCaseData Case(string name, Action<DefaultChatStreamingStore, ChatStreamingOptions> misuse, ChatStreamingError error)
            => new TestCaseData(misuse, typeof(ChatStreamingException), error, null).SetArgDisplayNames(name);

        static TestCaseData Argument(string name, Action<DefaultChatStreamingStore, ChatStreamingOptions> misuse, Type exception, string paramName)
            => new TestCaseData(misuse, exception, null, paramName).SetArgDisplayNames(name);
    }

    [TestCaseSource(nameof(Misuses))]
    public async Task A_misuse_is_refused_by_rule_and_leaves_the_neighbour_untouched(
        Action<DefaultChatStreamingStore, ChatStreamingOptions> misuse, Type exceptionType, ChatStreamingError? error, string? paramName)
    {
        var options = new ChatStreamingOptions { MaxActiveResponses = 5, MaxResponseLength = 100, MaxSubscribersPerConversation = 3 };
        (DefaultChatStreamingStore store, _) = StoreFixture.Create(o =>
        {
            o.MaxActiveResponses = options.MaxActiveResponses;
            o.MaxResponseLength = options.MaxResponseLength;
            o.MaxSubscribersPerConversation = options.MaxSubscribersPerConversation;
        });
        using (store)
        {
            Task<List<ChatStreamingEvent>> neighbour = store.SubscribeAsync(Neighbour).ToListAsync();
            store.Publish(ChatStreamingEvent.Started(Neighbour));
            store.Publish(ChatStreamingEvent.Delta(Neighbour, "before "));

            Exception? ex = Assert.Throws(exceptionType, () => misuse(store, options));

            store.Publish(ChatStreamingEvent.Delta(Neighbour, "after"));
            store.Publish(ChatStreamingEvent.Finished(Neighbour));
            List<ChatStreamingEvent> received = await neighbour.Guarded();

            Assert.Multiple(() =>
            {
                if (ex is ChatStreamingException chat)
                {
                    Assert.That(chat.Error, Is.EqualTo(error));
                    Assert.That(chat.ConversationId, Is.EqualTo(Victim));
                    Assert.That(chat.Message, Does.Contain($"'{Victim}'"));
                }
                else
                {
                    Assert.That(((ArgumentException)ex!).ParamName, Is.EqualTo(paramName));
                }

                Assert.That(StoreFixture.TextOf(received), Is.EqualTo("before after"));
                Assert.That(StoreFixture.Sequences(received), Is.EqualTo(new long[] { 1, 2, 3, 4 }));
            });
        }
    }

    [Test]
    public void A_refused_event_consumes_no_sequence_and_the_response_goes_on()
    {
        (DefaultChatStreamingStore store, _) = StoreFixture.Create(o => o.MaxResponseLength = 10);
        using (store)
        {
            store.Publish(ChatStreamingEvent.Started("c"));
            store.Publish(ChatStreamingEvent.Delta("c", "12345"));
            Assert.Throws<ChatStreamingException>(() => store.Publish(ChatStreamingEvent.Delta("c", "123456")));
            Assert.Throws<ChatStreamingException>(() => store.Publish(ChatStreamingEvent.Started("c")));

            ChatStreamingEvent next = store.Publish(ChatStreamingEvent.Delta("c", "12345"));

            Assert.Multiple(() =>
            {
                Assert.That(next.Sequence, Is.EqualTo(3));
                Assert.That(store.GetStatistics("c")!.CharacterCount, Is.EqualTo(10));
                Assert.That(store.GetStatistics("c")!.Outcome, Is.EqualTo(ChatResponseOutcome.Streaming));
            });
        }
    }

    [Test]
    public void A_refused_start_leaves_no_conversation_behind()
    {
        (DefaultChatStreamingStore store, _) = StoreFixture.Create(o => o.MaxActiveResponses = 1);
        using (store)
        {
            store.Publish(ChatStreamingEvent.Started("a"));
            Assert.Throws<ChatStreamingException>(() => store.Publish(ChatStreamingEvent.Started("b")));

            Assert.That(store.ConversationCount, Is.EqualTo(1));
            Assert.That(store.ActiveResponseCount, Is.EqualTo(1));
        }
    }

    [Test]
    public void Invalid_subscribe_arguments_are_refused_at_the_call()
    {
        (DefaultChatStreamingStore store, _) = StoreFixture.Create();
        using (store)
        {
            Assert.Multiple(() =>
            {
                Assert.That(() => store.SubscribeAsync(""), Throws.ArgumentException.With.Property("ParamName").EqualTo("conversationId"));
                Assert.That(() => store.SubscribeAsync(null!), Throws.InstanceOf<ArgumentNullException>());
                Assert.That(() => store.SubscribeAsync("c", -1), Throws.InstanceOf<ArgumentOutOfRangeException>().With.Property("ParamName").EqualTo("afterSequence"));
            });
        }
    }

    [Test]
    public async Task Too_many_subscribers_are_refused_and_a_slot_frees_when_one_leaves()
    {
        (DefaultChatStreamingStore store, _) = StoreFixture.Create(o => o.MaxSubscribersPerConversation = 2);
        using (store)
        {
            store.Publish(ChatStreamingEvent.Started("c"));
            await using IAsyncEnumerator<ChatStreamingEvent> first = store.SubscribeAsync("c").GetAsyncEnumerator(TestGuard.Token);
            IAsyncEnumerator<ChatStreamingEvent> second = store.SubscribeAsync("c").GetAsyncEnumerator(TestGuard.Token);
            Assert.That(await first.MoveNextAsync() && await second.MoveNextAsync(), Is.True);

            var ex = await Assert.ThrowsAsync<ChatStreamingException>(async () => await store.SubscribeAsync("c").ToListAsync());
            Assert.That(ex!.Error, Is.EqualTo(ChatStreamingError.TooManySubscribers));
            Assert.That(ex.Message, Does.Contain("MaxSubscribersPerConversation"));

            await second.DisposeAsync();
            Task<List<ChatStreamingEvent>> third = store.SubscribeAsync("c").ToListAsync();
            store.Publish(ChatStreamingEvent.Finished("c"));
            Assert.That((await third.Guarded()).Count, Is.EqualTo(2));
        }
    }
}
