using Microsoft.Extensions.AI;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Time.Testing;
using NUnit.Framework;
using StreamingCore.AI.Tests.Support;
using static StreamingCore.AI.Tests.Support.StoreFixture;

namespace StreamingCore.AI.Tests;

/// <summary><c>ChatClientBuilder.UseChatStreaming</c>: the store from the builder's services or given, and configuration.</summary>
public class UseChatStreamingTests
{
    private static ServiceProvider Services()
    {
        var services = new ServiceCollection();
        services.AddSingleton<TimeProvider>(new FakeTimeProvider());
        services.AddChatStreaming();
        return services.BuildServiceProvider();
    }

    [Test]
    public async Task Without_a_store_it_resolves_the_store_from_the_services_given_to_Build()
    {
        using ServiceProvider services = Services();
        using IChatClient client = new ChatClientBuilder(new ScriptedChatClient(Text("Hi"), Text("!"))).UseChatStreaming().Build(services);

        await client.GetStreamingResponseAsync(Prompt(), Options("c1")).ReadAllAsync(TestGuard.Token);

        IChatStreamingStore store = services.GetRequiredService<IChatStreamingStore>();
        Assert.Multiple(async () =>
        {
            Assert.That(client.GetService<ChatStreamingChatClient>(), Is.Not.Null, "the middleware is in the pipeline");
            Assert.That((await store.ReadResponseAsync("c1")).Deltas(), Is.EqualTo(new[] { "Hi", "!" }));
        });
    }

    [Test]
    public async Task A_given_store_is_used_instead_of_the_services_one()
    {
        using ServiceProvider services = Services();
        using DefaultChatStreamingStore given = CreateStore();
        using IChatClient client = new ChatClientBuilder(new ScriptedChatClient(Text("Hi"))).UseChatStreaming(given).Build(services);

        await client.GetStreamingResponseAsync(Prompt(), Options("c1")).ReadAllAsync(TestGuard.Token);

        Assert.Multiple(() =>
        {
            Assert.That(given.GetStatistics("c1")?.Outcome, Is.EqualTo(ChatResponseOutcome.Finished));
            Assert.That(services.GetRequiredService<DefaultChatStreamingStore>().ConversationCount, Is.Zero);
        });
    }

    [Test]
    public void Without_a_store_and_without_a_registered_one_Build_says_how_to_register_it()
    {
        var builder = new ChatClientBuilder(new ScriptedChatClient()).UseChatStreaming();

        Assert.Multiple(() =>
        {
            Assert.That(() => builder.Build(), Throws.InvalidOperationException.With.Message.Contains("AddChatStreaming"));
            using ServiceProvider empty = new ServiceCollection().BuildServiceProvider();
            Assert.That(() => builder.Build(empty), Throws.InvalidOperationException.With.Message.Contains("AddChatStreaming"));
        });
    }

    [Test]
    public async Task Configure_sets_the_middlewares_options()
    {
        using ServiceProvider services = Services();
        var inner = new ScriptedChatClient(Text("Hi"));
        using IChatClient client = new ChatClientBuilder(inner)
            .UseChatStreaming(configure: c =>
            {
                c.ForwardConversationId = true;
                c.ConversationIdSelector = (_, options) => "from-selector";
            })
            .Build(services);

        await client.GetStreamingResponseAsync(Prompt(), Options("c1")).ReadAllAsync(TestGuard.Token);

        Assert.Multiple(async () =>
        {
            Assert.That(inner.Calls.Single().Options!.ConversationId, Is.EqualTo("c1"));
            Assert.That((await services.GetRequiredService<IChatStreamingStore>().ReadResponseAsync("from-selector")).Deltas(), Is.EqualTo(new[] { "Hi" }));
        });
    }

    [Test]
    public void Null_arguments_are_refused()
    {
        using DefaultChatStreamingStore store = CreateStore();

        Assert.Multiple(() =>
        {
            Assert.That(() => ((ChatClientBuilder)null!).UseChatStreaming(), Throws.ArgumentNullException);
            Assert.That(() => new ChatStreamingChatClient(new ScriptedChatClient(), null!), Throws.ArgumentNullException);
            Assert.That(() => new ChatStreamingChatClient(null!, store), Throws.ArgumentNullException);
        });
    }

    [Test]
    public void Null_messages_are_refused_at_the_call_before_anything_is_published()
    {
        using DefaultChatStreamingStore store = CreateStore();
        var inner = new ScriptedChatClient();
        using var client = new ChatStreamingChatClient(inner, store);

        Assert.Multiple(() =>
        {
            Assert.That(() => client.GetStreamingResponseAsync(null!, Options("c1")), Throws.ArgumentNullException);
            Assert.That(() => client.GetResponseAsync(null!, Options("c1")), Throws.ArgumentNullException);
            Assert.That(store.ConversationCount, Is.Zero);
            Assert.That(inner.Calls, Is.Empty);
        });
    }
}
