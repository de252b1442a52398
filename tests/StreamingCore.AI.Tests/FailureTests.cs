using Microsoft.Extensions.AI;
using NSubstitute;
using NSubstitute.ExceptionExtensions;
using Microsoft.Extensions.Time.Testing;
using NUnit.Framework;
using StreamingCore.AI.Tests.Support;
using static StreamingCore.AI.Tests.Support.StoreFixture;

namespace StreamingCore.AI.Tests;

/// <summary>The failure rules of the middleware: provider errors, cancellation, early stop, an active response, store refusals.</summary>
public class FailureTests
{
    private DefaultChatStreamingStore _store = null!;

    [SetUp]
    public void SetUp() => _store = CreateStore();

    [TearDown]
    public void DisposeStore() => _store.Dispose();

    private static InvalidOperationException ProviderError()
        => new("model overloaded", new InvalidOperationException("secret inner detail"));

    [Test]
    public async Task A_provider_throwing_mid_stream_publishes_Failed_with_type_and_message_only_and_the_caller_gets_the_same_exception()
    {
        InvalidOperationException thrown = ProviderError();
        var inner = new ScriptedChatClient(Text("Hel"), Text("lo"), Text("never")).ThrowAt(2, thrown);
        using var client = new ChatStreamingChatClient(inner, _store);
        var received = new List<ChatResponseUpdate>();

        InvalidOperationException? caught = await Assert.ThrowsAsync<InvalidOperationException>(async () =>
        {
            await foreach (ChatResponseUpdate update in client.GetStreamingResponseAsync(Prompt(), Options("c1")).WithCancellation(TestGuard.Token))
            {
                received.Add(update);
            }
        });

        List<ChatStreamingEvent> published = await _store.ReadResponseAsync("c1");
        ChatStreamingEvent failed = published.Terminal();
        Assert.Multiple(() =>
        {
            Assert.That(caught, Is.SameAs(thrown));
            Assert.That(thrown.StackTrace, Is.Not.Null, "it was thrown, so a leaked stack trace would show");
            Assert.That(received.Select(u => u.Text), Is.EqualTo(new[] { "Hel", "lo" }));
            Assert.That(published.Deltas(), Is.EqualTo(new[] { "Hel", "lo" }));
            Assert.That(failed.Kind, Is.EqualTo(ChatStreamingEventKind.Failed));
            Assert.That(failed.Error, Is.EqualTo("InvalidOperationException: model overloaded"));
            Assert.That(_store.ActiveResponseCount, Is.Zero);
        });
    }

    [Test]
    public async Task A_non_streaming_provider_error_publishes_Failed_and_the_caller_gets_the_same_exception()
    {
        InvalidOperationException thrown = ProviderError();
        using var client = new ChatStreamingChatClient(new ScriptedChatClient().ThrowAt(0, thrown), _store);

        InvalidOperationException? caught = await Assert.ThrowsAsync<InvalidOperationException>(() => client.GetResponseAsync(Prompt(), Options("c1")).Guarded());

        Assert.Multiple(async () =>
        {
            Assert.That(caught, Is.SameAs(thrown));
            Assert.That((await _store.ReadResponseAsync("c1")).Terminal().Error, Is.EqualTo("InvalidOperationException: model overloaded"));
        });
    }

    [Test]
    public async Task A_provider_stream_that_also_throws_when_disposed_still_hands_the_caller_the_providers_exception()
    {
        // An HTTP-backed stream may throw again when disposed after a broken read: the caller must still get the exception
        // the provider threw (the same object, as the Failed event names it), not the disposal's.
        InvalidOperationException thrown = ProviderError();
        var inner = new BrokenStreamChatClient(thrown, new IOException("connection reset while disposing"));
        using var client = new ChatStreamingChatClient(inner, _store);

        Exception? caught = await Assert.CatchAsync(() => client.GetStreamingResponseAsync(Prompt(), Options("c1")).ReadAllAsync(TestGuard.Token));

        ChatStreamingEvent failed = (await _store.ReadResponseAsync("c1")).Terminal();
        Assert.Multiple(() =>
        {
            Assert.That(caught, Is.SameAs(thrown));
            Assert.That(failed.Error, Is.EqualTo("InvalidOperationException: model overloaded"));
            Assert.That(inner.Disposed, Is.True, "the provider's stream is still disposed");
            Assert.That(_store.ActiveResponseCount, Is.Zero);
        });
    }

    [Test]
    public async Task The_caller_canceling_publishes_Failed_canceled_and_throws_OperationCanceledException()
    {
        var inner = new ScriptedChatClient(Text("Hel"), Text("lo"));
        Gate second = inner.BlockAt(1);
        using var client = new ChatStreamingChatClient(inner, _store);
        using var cts = new CancellationTokenSource();

        Task reading = client.GetStreamingResponseAsync(Prompt(), Options("c1"), cts.Token).ReadAllAsync();
        await second.Reached.Guarded();
        await cts.CancelAsync();

        Assert.That(async () => await reading.Guarded(), Throws.InstanceOf<OperationCanceledException>());
        ChatStreamingEvent failed = (await _store.ReadResponseAsync("c1")).Terminal();
        Assert.Multiple(() =>
        {
            Assert.That(failed.Kind, Is.EqualTo(ChatStreamingEventKind.Failed));
            Assert.That(failed.Error, Is.EqualTo("canceled"));
        });
    }

    [Test]
    public async Task Canceling_through_WithCancellation_also_fails_the_response_as_canceled_even_if_the_provider_ignores_the_token()
    {
        // The scripted provider only observes the token while blocked; here it never blocks, so the middleware's own check counts.
        using var client = new ChatStreamingChatClient(new ScriptedChatClient(Text("a"), Text("b"), Text("c")), _store);
        using var cts = new CancellationTokenSource();
        var received = new List<string>();

        Assert.That(
            async () =>
            {
                await foreach (ChatResponseUpdate update in client.GetStreamingResponseAsync(Prompt(), Options("c1")).WithCancellation(cts.Token))
                {
                    received.Add(update.Text);
                    await cts.CancelAsync();
                }
            },
            Throws.InstanceOf<OperationCanceledException>());

        Assert.Multiple(async () =>
        {
            Assert.That(received, Is.EqualTo(new[] { "a" }));
            Assert.That((await _store.ReadResponseAsync("c1")).Terminal().Error, Is.EqualTo("canceled"));
        });
    }

    [Test]
    public async Task A_non_streaming_call_canceled_by_the_caller_publishes_Failed_canceled()
    {
        var inner = new ScriptedChatClient();
        Gate call = inner.BlockAt(0);
        using var client = new ChatStreamingChatClient(inner, _store);
        using var cts = new CancellationTokenSource();

        Task<ChatResponse> response = client.GetResponseAsync(Prompt(), Options("c1"), cts.Token);
        await call.Reached.Guarded();
        await cts.CancelAsync();

        Assert.That(async () => await response.Guarded(), Throws.InstanceOf<OperationCanceledException>());
        Assert.That((await _store.ReadResponseAsync("c1")).Terminal().Error, Is.EqualTo("canceled"));
    }

    [Test]
    public async Task An_OperationCanceledException_the_caller_did_not_ask_for_is_a_provider_failure_not_canceled()
    {
        var timeout = new TaskCanceledException("The request was canceled due to the configured HttpClient.Timeout of 100 seconds elapsing.");
        using var client = new ChatStreamingChatClient(new ScriptedChatClient(Text("a")).ThrowAt(1, timeout), _store);

        Exception? caught = await Assert.CatchAsync(() => client.GetStreamingResponseAsync(Prompt(), Options("c1")).ReadAllAsync(TestGuard.Token));

        Assert.Multiple(async () =>
        {
            Assert.That(caught, Is.SameAs(timeout));
            Assert.That((await _store.ReadResponseAsync("c1")).Terminal().Error, Is.EqualTo($"TaskCanceledException: {timeout.Message}"));
        });
    }

    [Test]
    public async Task A_caller_that_stops_early_leaves_the_response_Failed_canceled_by_the_time_DisposeAsync_completes()
    {
        var inner = new ScriptedChatClient(Text("Hel"), Text("lo"), Text("never"));
        using var client = new ChatStreamingChatClient(inner, _store);

        IAsyncEnumerator<ChatResponseUpdate> updates = client.GetStreamingResponseAsync(Prompt(), Options("c1")).GetAsyncEnumerator(TestGuard.Token);
        Assert.That(await updates.MoveNextAsync().Guarded(), Is.True);
        Assert.That(_store.ActiveResponseCount, Is.EqualTo(1));
        await updates.DisposeAsync().Guarded();

        // Read synchronously right after DisposeAsync: nothing may still be on its way.
        ChatResponseStatistics statistics = _store.GetStatistics("c1")!;
        Assert.Multiple(async () =>
        {
            Assert.That(_store.ActiveResponseCount, Is.Zero);
            Assert.That(statistics.Outcome, Is.EqualTo(ChatResponseOutcome.Failed));
            Assert.That(inner.Calls.Single().Disposed, Is.True, "the provider's stream is disposed too");
            Assert.That(inner.Calls.Single().RequestCount, Is.EqualTo(1), "nothing more was requested");
            List<ChatStreamingEvent> published = await _store.ReadResponseAsync("c1");
            Assert.That(published.Deltas(), Is.EqualTo(new[] { "Hel" }));
            Assert.That(published.Terminal().Error, Is.EqualTo("canceled"));
        });
    }

    [Test]
    public async Task A_break_out_of_await_foreach_ends_the_response()
    {
        using var client = new ChatStreamingChatClient(new ScriptedChatClient(Text("a"), Text("b")), _store);

        await foreach (ChatResponseUpdate update in client.GetStreamingResponseAsync(Prompt(), Options("c1")).WithCancellation(TestGuard.Token))
        {
            break;
        }

        Assert.That(_store.GetStatistics("c1")!.Outcome, Is.EqualTo(ChatResponseOutcome.Failed));
        Assert.That((await _store.ReadResponseAsync("c1")).Terminal().Error, Is.EqualTo("canceled"));
    }

    [Test]
    public async Task A_conversation_with_an_active_response_fails_the_stream_before_the_inner_client_is_called_and_leaves_that_response_alone()
    {
        _store.Publish(ChatStreamingEvent.Started("c1"));
        _store.Publish(ChatStreamingEvent.Delta("c1", "other producer's "));
        var inner = new ScriptedChatClient(Text("mine"));
        using var client = new ChatStreamingChatClient(inner, _store);

        IAsyncEnumerable<ChatResponseUpdate> stream = client.GetStreamingResponseAsync(Prompt(), Options("c1"));
        ChatStreamingException? refused = await Assert.ThrowsAsync<ChatStreamingException>(() => stream.ReadAllAsync(TestGuard.Token));

        Assert.Multiple(() =>
        {
            Assert.That(refused!.Error, Is.EqualTo(ChatStreamingError.ResponseAlreadyStarted));
            Assert.That(inner.Calls, Is.Empty, "no tokens spent");
            Assert.That(_store.GetStatistics("c1")!.Outcome, Is.EqualTo(ChatResponseOutcome.Streaming), "the other response is still active");
        });

        _store.Publish(ChatStreamingEvent.Delta("c1", "answer"));
        _store.Publish(ChatStreamingEvent.Finished("c1"));
        List<ChatStreamingEvent> published = await _store.ReadResponseAsync("c1");
        Assert.Multiple(() =>
        {
            Assert.That(published.Deltas(), Is.EqualTo(new[] { "other producer's ", "answer" }));
            Assert.That(published.Terminal().Kind, Is.EqualTo(ChatStreamingEventKind.Finished));
        });
    }

    [Test]
    public async Task A_conversation_with_an_active_response_fails_a_non_streaming_call_before_the_inner_client_is_called()
    {
        _store.Publish(ChatStreamingEvent.Started("c1"));
        var inner = new ScriptedChatClient();
        using var client = new ChatStreamingChatClient(inner, _store);

        ChatStreamingException? refused = await Assert.ThrowsAsync<ChatStreamingException>(() => client.GetResponseAsync(Prompt(), Options("c1")));

        Assert.Multiple(() =>
        {
            Assert.That(refused!.Error, Is.EqualTo(ChatStreamingError.ResponseAlreadyStarted));
            Assert.That(inner.Calls, Is.Empty);
            Assert.That(_store.GetStatistics("c1")!.Outcome, Is.EqualTo(ChatResponseOutcome.Streaming));
        });
    }

    [Test]
    public async Task A_delta_the_store_refuses_ends_the_response_and_stops_the_provider_with_the_stores_error()
    {
        using DefaultChatStreamingStore store = CreateStore(o => o.MaxResponseLength = 5);
        var inner = new ScriptedChatClient(Text("1234"), Text("56789"), Text("never"));
        using var client = new ChatStreamingChatClient(inner, store);

        ChatStreamingException? refused = await Assert.ThrowsAsync<ChatStreamingException>(() => client.GetStreamingResponseAsync(Prompt(), Options("c1")).ReadAllAsync(TestGuard.Token));

        List<ChatStreamingEvent> published = await store.ReadResponseAsync("c1");
        Assert.Multiple(() =>
        {
            Assert.That(refused!.Error, Is.EqualTo(ChatStreamingError.ResponseTooLong));
            Assert.That(published.Deltas(), Is.EqualTo(new[] { "1234" }));
            Assert.That(published.Terminal().Error, Is.EqualTo($"ChatStreamingException: {refused.Message}"));
            Assert.That(inner.Calls.Single().RequestCount, Is.EqualTo(2), "no update requested after the refusal");
            Assert.That(inner.Calls.Single().Disposed, Is.True);
        });
    }

    [Test]
    public async Task A_store_that_already_ended_the_response_never_masks_the_providers_exception()
    {
        // Any IChatStreamingStore: this one accepts Started and Delta, then refuses Failed as a store does after its idle
        // timeout ended the response (ResponseNotStarted).
        var store = Substitute.For<IChatStreamingStore>();
        store.Publish(Arg.Any<ChatStreamingEvent>()).Returns(call => call.Arg<ChatStreamingEvent>());
        store.Publish(Arg.Is<ChatStreamingEvent>(e => e.Kind == ChatStreamingEventKind.Failed))
            .Throws(new ChatStreamingException(ChatStreamingError.ResponseNotStarted, "c1", "Conversation 'c1' has no active response."));
        InvalidOperationException thrown = ProviderError();
        using var client = new ChatStreamingChatClient(new ScriptedChatClient(Text("Hel"), Text("never")).ThrowAt(1, thrown), store);

        Exception? caught = await Assert.CatchAsync(() => client.GetStreamingResponseAsync(Prompt(), Options("c1")).ReadAllAsync(TestGuard.Token));

        Assert.Multiple(() =>
        {
            Assert.That(caught, Is.SameAs(thrown));
            Assert.That(
                store.ReceivedCalls().Select(c => ((ChatStreamingEvent)c.GetArguments()[0]!).Kind),
                Is.EqualTo(new[] { ChatStreamingEventKind.Started, ChatStreamingEventKind.Delta, ChatStreamingEventKind.Failed }));
        });
    }

    [Test]
    public async Task A_call_canceled_before_it_starts_publishes_nothing_and_calls_nothing()
    {
        var inner = new ScriptedChatClient(Text("a"));
        using var client = new ChatStreamingChatClient(inner, _store);
        using var cts = new CancellationTokenSource();
        await cts.CancelAsync();

        Assert.Multiple(() =>
        {
            Assert.That(() => client.GetStreamingResponseAsync(Prompt(), Options("c1"), cts.Token).ReadAllAsync(), Throws.InstanceOf<OperationCanceledException>());
            Assert.That(() => client.GetResponseAsync(Prompt(), Options("c1"), cts.Token), Throws.InstanceOf<OperationCanceledException>());
            Assert.That(_store.ConversationCount, Is.Zero);
            Assert.That(inner.Calls, Is.Empty);
        });
    }

    [Test]
    public async Task A_call_whose_response_the_store_ended_stops_once_another_response_began_and_never_ends_that_one()
    {
        // The store ends a stalled response (idle timeout); the user retries, so a new response begins in the conversation;
        // then the stalled provider wakes up. The store knows responses only by conversation, so the stale call's first
        // delta lands in the new response: the call must stop there, and never end the new response with its Finished.
        var time = new FakeTimeProvider();
        TimeSpan idle = TimeSpan.FromSeconds(30);
        using DefaultChatStreamingStore store = CreateStore(time, o => o.IdleTimeout = idle);
        var inner = new ScriptedChatClient(Text("Hel"), Text("lo"), Text("!"));
        Gate slowModel = inner.BlockAt(1);
        using var client = new ChatStreamingChatClient(inner, store);
        Task<List<ChatResponseUpdate>> reading = client.GetStreamingResponseAsync(Prompt(), Options("c1")).ReadAllAsync(TestGuard.Token);
        await slowModel.Reached.Guarded();
        time.Advance(idle);
        store.Publish(ChatStreamingEvent.Started("c1"));
        store.Publish(ChatStreamingEvent.Delta("c1", "retry "));

        slowModel.Release();

        ChatStreamingException? stopped = await Assert.ThrowsAsync<ChatStreamingException>(() => reading.Guarded());
        Assert.Multiple(() =>
        {
            Assert.That(stopped!.Error, Is.EqualTo(ChatStreamingError.ResponseNotStarted));
            Assert.That(inner.Calls.Single().RequestCount, Is.EqualTo(2), "nothing requested after the stale delta");
            Assert.That(inner.Calls.Single().Disposed, Is.True);
            Assert.That(store.GetStatistics("c1")!.Outcome, Is.EqualTo(ChatResponseOutcome.Streaming), "the new response is not ended by the stale call");
        });

        store.Publish(ChatStreamingEvent.Finished("c1"));
        string[] deltas = (await store.ReadResponseAsync("c1")).Deltas()!;
        Assert.That(deltas, Does.Not.Contain("!"), "the stale call published no more than the delta that revealed it (a store limit: it cannot refuse that one)");
    }

    [TestCase(1, new[] { "Hel" })]
    [TestCase(2, new[] { "Hel", "lo" })]
    public async Task A_response_the_store_ended_for_idleness_stops_the_call_with_the_stores_error(int slowStep, string[] deltas)
    {
        var time = new FakeTimeProvider();
        TimeSpan idle = TimeSpan.FromSeconds(30);
        using DefaultChatStreamingStore store = CreateStore(time, o => o.IdleTimeout = idle);
        var inner = new ScriptedChatClient(Text("Hel"), Text("lo"));
        Gate slowModel = inner.BlockAt(slowStep);
        using var client = new ChatStreamingChatClient(inner, store);

        Task<List<ChatResponseUpdate>> reading = client.GetStreamingResponseAsync(Prompt(), Options("c1")).ReadAllAsync(TestGuard.Token);
        await slowModel.Reached.Guarded();
        time.Advance(idle);
        Assert.That(store.GetStatistics("c1")!.Outcome, Is.EqualTo(ChatResponseOutcome.IdleTimeout));
        slowModel.Release();

        ChatStreamingException? refused = await Assert.ThrowsAsync<ChatStreamingException>(() => reading.Guarded());
        List<ChatStreamingEvent> published = await store.ReadResponseAsync("c1");
        Assert.Multiple(() =>
        {
            Assert.That(refused!.Error, Is.EqualTo(ChatStreamingError.ResponseNotStarted));
            Assert.That(published.Deltas(), Is.EqualTo(deltas));
            Assert.That(published.Terminal().Error, Is.EqualTo("idle timeout"), "the store's own Failed, not a second one");
            Assert.That(inner.Calls.Single().RequestCount, Is.EqualTo(slowStep + 1), "nothing requested after the refusal");
            Assert.That(inner.Calls.Single().Disposed, Is.True);
        });
    }

    /// <summary>A provider whose stream yields one update, then throws; disposing it throws too.</summary>
    private sealed class BrokenStreamChatClient(Exception onRead, Exception onDispose) : IChatClient, IAsyncEnumerable<ChatResponseUpdate>, IAsyncEnumerator<ChatResponseUpdate>
    {
        private int _reads;

        public bool Disposed { get; private set; }

        public ChatResponseUpdate Current { get; } = Text("Hel");

        public Task<ChatResponse> GetResponseAsync(IEnumerable<ChatMessage> messages, ChatOptions? options = null, CancellationToken cancellationToken = default)
            => throw new NotSupportedException();

        public IAsyncEnumerable<ChatResponseUpdate> GetStreamingResponseAsync(IEnumerable<ChatMessage> messages, ChatOptions? options = null, CancellationToken cancellationToken = default)
            => this;

        public IAsyncEnumerator<ChatResponseUpdate> GetAsyncEnumerator(CancellationToken cancellationToken = default) => this;

        public ValueTask<bool> MoveNextAsync() => _reads++ == 0 ? new(true) : ValueTask.FromException<bool>(onRead);

        public ValueTask DisposeAsync()
        {
            Disposed = true;
            return ValueTask.FromException(onDispose);
        }

        public object? GetService(Type serviceType, object? serviceKey = null) => null;

        public void Dispose()
        {
        }
    }
}
