using NUnit.Framework;

namespace StreamingCore.Testing.Contract;

/// <summary>
/// Each misuse gives the documented exception, changes nothing, and a neighbouring conversation that streams
/// throughout (with a live subscriber on the Reader) ends with exactly the text and sequences it would have had anyway.
/// </summary>
/// <param name="target">The implementation under test.</param>
[TestFixtureSource(typeof(ContractTargets), nameof(ContractTargets.All))]
public class LifecycleContract(IStoreTarget target) : StoreContract(target)
{
    private const string Neighbour = "healthy";
    private const string Victim = "victim";

    public static IEnumerable<TestCaseData> Misuses()
    {
        yield return Case("Delta before Started", (s, _) => s.Producer.Publish(ChatStreamingEvent.Delta(Victim, "x")), ChatStreamingError.ResponseNotStarted);
        yield return Case("Finished before Started", (s, _) => s.Producer.Publish(ChatStreamingEvent.Finished(Victim)), ChatStreamingError.ResponseNotStarted);
        yield return Case("Failed before Started", (s, _) => s.Producer.Publish(ChatStreamingEvent.Failed(Victim, "e")), ChatStreamingError.ResponseNotStarted);
        yield return Case("second Started", (s, _) =>
        {
            s.Producer.Publish(ChatStreamingEvent.Started(Victim));
            s.Producer.Publish(ChatStreamingEvent.Started(Victim));
        }, ChatStreamingError.ResponseAlreadyStarted);
        yield return Case("Delta after Finished", (s, _) =>
        {
            s.Producer.PublishResponse(Victim, "done");
            s.Producer.Publish(ChatStreamingEvent.Delta(Victim, "late"));
        }, ChatStreamingError.ResponseNotStarted);
        yield return Case("Finished after Failed", (s, _) =>
        {
            s.Producer.Publish(ChatStreamingEvent.Started(Victim));
            s.Producer.Publish(ChatStreamingEvent.Failed(Victim, "boom"));
            s.Producer.Publish(ChatStreamingEvent.Finished(Victim));
        }, ChatStreamingError.ResponseNotStarted);
        yield return Case("oversize delta", (s, o) =>
        {
            s.Producer.Publish(ChatStreamingEvent.Started(Victim));
            s.Producer.Publish(ChatStreamingEvent.Delta(Victim, new string('x', o.MaxResponseLength + 1)));
        }, ChatStreamingError.ResponseTooLong);
        yield return Case("over MaxActiveResponses", (s, o) =>
        {
            // The neighbour holds one slot.
            for (int i = 1; i < o.MaxActiveResponses; i++)
            {
                s.Producer.Publish(ChatStreamingEvent.Started($"filler-{i}"));
            }

            s.Producer.Publish(ChatStreamingEvent.Started(Victim));
        }, ChatStreamingError.TooManyActiveResponses);

        yield return Argument("null conversation id", (s, _) => s.Producer.Publish(ChatStreamingEvent.Started(null!)), typeof(ArgumentNullException), "conversationId");
        yield return Argument("empty conversation id", (s, _) => s.Producer.Publish(ChatStreamingEvent.Delta("", "x")), typeof(ArgumentException), "conversationId");
        yield return Argument("control character in conversation id", (s, _) => s.Producer.Publish(ChatStreamingEvent.Started("a\u0007b")), typeof(ArgumentException), "conversationId");
        yield return Argument("negative afterSequence", (s, _) => s.Reader.SubscribeAsync(Victim, -1), typeof(ArgumentOutOfRangeException), "afterSequence");
        yield return ArgumentAsync("afterSequence beyond the last published", async (s, _) =>
        {
            s.Producer.PublishResponse(Victim, "a");
            await s.Reader.SubscribeAsync(Victim, 4).ReadAllAsync();
        }, typeof(ArgumentOutOfRangeException), "afterSequence");
        yield return CaseAsync("afterSequence no longer retained", async (s, _) => await s.Reader.SubscribeAsync(Victim, 3).ReadAllAsync(), ChatStreamingError.SequenceNotRetained);
        yield return CaseAsync("too many subscribers", async (s, o) =>
        {
            s.Producer.Publish(ChatStreamingEvent.Started(Victim));
            for (int i = 0; i <= o.MaxSubscribersPerConversation; i++)
            {
                // Each one reads Started, so it is registered before the next one asks; the last one is refused.
                _ = await s.Reader.SubscribeAsync(Victim).GetAsyncEnumerator(TestGuard.Token).MoveNextAsync();
            }
        }, ChatStreamingError.TooManySubscribers);
        yield return Case("Failed after Finished", (s, _) =>
        {
            s.Producer.Publish(ChatStreamingEvent.Started(Victim));
            s.Producer.Publish(ChatStreamingEvent.Finished(Victim));
            s.Producer.Publish(ChatStreamingEvent.Failed(Victim, "late"));
        }, ChatStreamingError.ResponseNotStarted);
        yield return Argument("white-space conversation id", (s, _) => s.Producer.Publish(ChatStreamingEvent.Started("  ")), typeof(ArgumentException), "conversationId");
        yield return Argument("over-long conversation id", (s, _) => s.Producer.Publish(ChatStreamingEvent.Started(new string('v', 257))), typeof(ArgumentException), "conversationId");
        yield return Argument("null delta", (s, _) =>
        {
            s.Producer.Publish(ChatStreamingEvent.Started(Victim));
            s.Producer.Publish(ChatStreamingEvent.Delta(Victim, null!));
        }, typeof(ArgumentNullException), "text");
        yield return Argument("event not made by a factory", (s, _) => s.Producer.Publish(default), typeof(ArgumentException), "streamingEvent");

        static Func<StoreUnderTest, ChatStreamingOptions, Task> Synchronous(Action<StoreUnderTest, ChatStreamingOptions> misuse)
            => (store, options) =>
            {
                misuse(store, options);
                return Task.CompletedTask;
            };

        static TestCaseData Case(string name, Action<StoreUnderTest, ChatStreamingOptions> misuse, ChatStreamingError error)
            => CaseAsync(name, Synchronous(misuse), error);

        static TestCaseData CaseAsync(string name, Func<StoreUnderTest, ChatStreamingOptions, Task> misuse, ChatStreamingError error)
            => new TestCaseData(misuse, typeof(ChatStreamingException), error, null).SetArgDisplayNames(name);

        static TestCaseData Argument(string name, Action<StoreUnderTest, ChatStreamingOptions> misuse, Type exception, string paramName)
            => ArgumentAsync(name, Synchronous(misuse), exception, paramName);

        static TestCaseData ArgumentAsync(string name, Func<StoreUnderTest, ChatStreamingOptions, Task> misuse, Type exception, string paramName)
            => new TestCaseData(misuse, exception, null, paramName).SetArgDisplayNames(name);
    }

    [TestCaseSource(nameof(Misuses))]
    public async Task A_misuse_is_refused_by_rule_and_leaves_the_neighbour_untouched(
        Func<StoreUnderTest, ChatStreamingOptions, Task> misuse, Type exceptionType, ChatStreamingError? error, string? paramName)
    {
        var options = new ChatStreamingOptions { MaxActiveResponses = 5, MaxResponseLength = 100, MaxSubscribersPerConversation = 3 };
        await using StoreUnderTest store = await CreateAsync(o =>
        {
            o.MaxActiveResponses = options.MaxActiveResponses;
            o.MaxResponseLength = options.MaxResponseLength;
            o.MaxSubscribersPerConversation = options.MaxSubscribersPerConversation;
        });
        Task<List<ChatStreamingEvent>> neighbour = store.Reader.SubscribeAsync(Neighbour).ReadAllAsync();
        await store.SubscribedAsync(Neighbour, 1).Guarded();
        store.Producer.Publish(ChatStreamingEvent.Started(Neighbour));
        store.Producer.Publish(ChatStreamingEvent.Delta(Neighbour, "before "));

        Exception? ex = await Assert.ThrowsAsync(exceptionType, async () => await misuse(store, options));

        store.Producer.Publish(ChatStreamingEvent.Delta(Neighbour, "after"));
        store.Producer.Publish(ChatStreamingEvent.Finished(Neighbour));
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

            Assert.That(ContractEvents.TextOf(received), Is.EqualTo("before after"));
            Assert.That(ContractEvents.Sequences(received), Is.EqualTo(new long[] { 1, 2, 3, 4 }));
        });
    }

    [Test]
    public async Task A_refused_event_consumes_no_sequence_and_the_response_goes_on()
    {
        await using StoreUnderTest store = await CreateAsync(o => o.MaxResponseLength = 10);
        store.Producer.Publish(ChatStreamingEvent.Started("c"));
        store.Producer.Publish(ChatStreamingEvent.Delta("c", "12345"));
        Assert.Throws<ChatStreamingException>(() => store.Producer.Publish(ChatStreamingEvent.Delta("c", "123456")));
        Assert.Throws<ChatStreamingException>(() => store.Producer.Publish(ChatStreamingEvent.Started("c")));

        ChatStreamingEvent next = store.Producer.Publish(ChatStreamingEvent.Delta("c", "12345"));

        Assert.Multiple(() =>
        {
            Assert.That(next.Sequence, Is.EqualTo(3));
            Assert.That(store.GetStatistics("c")!.CharacterCount, Is.EqualTo(10));
            Assert.That(store.GetStatistics("c")!.Outcome, Is.EqualTo(ChatResponseOutcome.Streaming));
        });
    }

    [Test]
    public async Task Invalid_subscribe_arguments_are_refused_at_the_call()
    {
        await using StoreUnderTest store = await CreateAsync();
        Assert.Multiple(() =>
        {
            Assert.That(() => store.Reader.SubscribeAsync(""), Throws.ArgumentException.With.Property("ParamName").EqualTo("conversationId"));
            Assert.That(() => store.Reader.SubscribeAsync(null!), Throws.InstanceOf<ArgumentNullException>());
            Assert.That(() => store.Reader.SubscribeAsync("c", -1), Throws.InstanceOf<ArgumentOutOfRangeException>().With.Property("ParamName").EqualTo("afterSequence"));
        });
    }
}
