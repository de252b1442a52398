using Microsoft.Extensions.AI;
using NUnit.Framework;
using StreamingCore.AI.Tests.Support;
using static StreamingCore.AI.Tests.Support.StoreFixture;

namespace StreamingCore.AI.Tests;

/// <summary>Which conversation a call is published to, and what the inner client sees of it.</summary>
public class ConversationIdTests
{
    private DefaultChatStreamingStore _store = null!;

    [SetUp]
    public void SetUp() => _store = CreateStore();

    [TearDown]
    public void DisposeStore() => _store.Dispose();

    private static ChatOptions CallerOptions() => new()
    {
        ConversationId = "c1",
        ModelId = "model-x",
        Temperature = 0.25f,
        AdditionalProperties = new() { ["tenant"] = "t1" },
    };

    [Test]
    public async Task By_default_the_inner_client_sees_a_clone_without_the_conversation_id_and_the_callers_options_are_unchanged()
    {
        var inner = new ScriptedChatClient(Text("a"));
        using var client = new ChatStreamingChatClient(inner, _store);
        ChatOptions options = CallerOptions();

        await client.GetStreamingResponseAsync(Prompt(), options).ReadAllAsync(TestGuard.Token);
        await client.GetResponseAsync(Prompt(), options).Guarded();

        Assert.Multiple(() =>
        {
            Assert.That(client.ForwardConversationId, Is.False);
            foreach (ScriptedCall call in inner.Calls)
            {
                Assert.That(call.Options, Is.Not.SameAs(options));
                Assert.That(call.Options!.ConversationId, Is.Null);
                Assert.That((call.Options.ModelId, call.Options.Temperature, call.Options.AdditionalProperties!["tenant"]), Is.EqualTo(("model-x", 0.25f, (object)"t1")));
            }

            Assert.That(options.ConversationId, Is.EqualTo("c1"), "the caller's options are not mutated");
            Assert.That(_store.GetResponseStatistics("c1"), Has.Count.EqualTo(2), "both calls were published under c1");
        });
    }

    [Test]
    public async Task With_ForwardConversationId_the_inner_client_sees_the_callers_options_with_the_conversation_id()
    {
        var inner = new ScriptedChatClient(Text("a"));
        using var client = new ChatStreamingChatClient(inner, _store) { ForwardConversationId = true };
        ChatOptions options = CallerOptions();

        await client.GetStreamingResponseAsync(Prompt(), options).ReadAllAsync(TestGuard.Token);

        Assert.Multiple(() =>
        {
            Assert.That(inner.Calls.Single().Options, Is.SameAs(options));
            Assert.That(inner.Calls.Single().Options!.ConversationId, Is.EqualTo("c1"));
        });
    }

    [Test]
    public async Task A_selector_returning_null_publishes_nothing_and_passes_the_call_through_untouched()
    {
        var inner = new ScriptedChatClient(Text("a"));
        using var client = new ChatStreamingChatClient(inner, _store) { ConversationIdSelector = (_, _) => null };
        ChatOptions options = CallerOptions();

        List<ChatResponseUpdate> received = await client.GetStreamingResponseAsync(Prompt(), options).ReadAllAsync(TestGuard.Token);
        await client.GetResponseAsync(Prompt(), options).Guarded();

        Assert.Multiple(() =>
        {
            Assert.That(received.Single().Text, Is.EqualTo("a"));
            Assert.That(inner.Calls.Select(c => c.Options), Is.All.SameAs(options));
            Assert.That(options.ConversationId, Is.EqualTo("c1"));
            Assert.That(_store.ConversationCount, Is.Zero, "nothing was published");
        });
    }

    [Test]
    public async Task Without_options_the_default_selector_publishes_nothing()
    {
        var inner = new ScriptedChatClient(Text("a"));
        using var client = new ChatStreamingChatClient(inner, _store);

        await client.GetStreamingResponseAsync(Prompt()).ReadAllAsync(TestGuard.Token);

        Assert.Multiple(() =>
        {
            Assert.That(inner.Calls.Single().Options, Is.Null);
            Assert.That(_store.ConversationCount, Is.Zero);
        });
    }

    [Test]
    public async Task A_custom_selector_names_the_conversation_from_the_messages_and_options()
    {
        var inner = new ScriptedChatClient(Text("a"));
        using var client = new ChatStreamingChatClient(inner, _store)
        {
            ConversationIdSelector = (messages, options) => $"{options!.AdditionalProperties!["tenant"]}-{messages.Count()}",
        };
        var options = new ChatOptions { AdditionalProperties = new() { ["tenant"] = "t1" } };

        await client.GetStreamingResponseAsync(Prompt(), options).ReadAllAsync(TestGuard.Token);

        Assert.That((await _store.ReadResponseAsync("t1-1")).Deltas(), Is.EqualTo(new[] { "a" }));
    }

    [Test]
    public void The_selector_cannot_be_set_to_null()
    {
        using var client = new ChatStreamingChatClient(new ScriptedChatClient(), _store);

        Assert.That(() => client.ConversationIdSelector = null!, Throws.ArgumentNullException);
    }

    [Test]
    public void The_default_selector_reads_ChatOptions_ConversationId()
    {
        using var client = new ChatStreamingChatClient(new ScriptedChatClient(), _store);

        Assert.Multiple(() =>
        {
            Assert.That(client.ConversationIdSelector([], Options("c9")), Is.EqualTo("c9"));
            Assert.That(client.ConversationIdSelector([], null), Is.Null);
        });
    }
}
