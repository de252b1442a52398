using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using Microsoft.Extensions.Time.Testing;
using NUnit.Framework;

namespace StreamingCore.Tests.DependencyInjection;

public class AddChatStreamingTests
{
    [Test]
    public void Registers_one_singleton_store_under_both_types_even_when_called_twice()
    {
        var services = new ServiceCollection();
        services.AddChatStreaming().Services.AddChatStreaming();
        using ServiceProvider provider = services.BuildServiceProvider();

        IChatStreamingStore store = provider.GetRequiredService<IChatStreamingStore>();
        Assert.Multiple(() =>
        {
            Assert.That(store, Is.SameAs(provider.GetRequiredService<DefaultChatStreamingStore>()));
            Assert.That(store, Is.SameAs(provider.GetRequiredService<IChatStreamingStore>()));
            Assert.That(services.Count(d => d.ServiceType == typeof(IChatStreamingStore)), Is.EqualTo(1));
            Assert.That(services.Count(d => d.ServiceType == typeof(IValidateOptions<ChatStreamingOptions>)), Is.EqualTo(1));
        });
    }

    [Test]
    public void Uses_the_containers_TimeProvider_and_applies_configuration()
    {
        var now = new DateTimeOffset(2026, 11, 23, 12, 0, 0, TimeSpan.Zero);
        var services = new ServiceCollection();
        services.AddSingleton<TimeProvider>(new FakeTimeProvider(now));
        services.AddChatStreaming(o => o.MaxActiveResponses = 1);
        using ServiceProvider provider = services.BuildServiceProvider();
        IChatStreamingStore store = provider.GetRequiredService<IChatStreamingStore>();

        Assert.That(store.Publish(ChatStreamingEvent.Started("a")).Timestamp, Is.EqualTo(now));
        Assert.That(() => store.Publish(ChatStreamingEvent.Started("b")), Throws.InstanceOf<ChatStreamingException>().With.Property("Error").EqualTo(ChatStreamingError.TooManyActiveResponses));
    }

    [Test]
    public void Options_bind_from_configuration()
    {
        IConfiguration configuration = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["ChatStreaming:IdleTimeout"] = "00:00:45",
            ["ChatStreaming:RetentionPeriod"] = "00:10:00",
            ["ChatStreaming:MaxActiveResponses"] = "50",
            ["ChatStreaming:SubscriberCapacity"] = "32",
            ["ChatStreaming:SubscriberOverflow"] = "DropOldest",
        }).Build();
        var services = new ServiceCollection();
        services.AddChatStreaming();
        services.AddOptions<ChatStreamingOptions>().Bind(configuration.GetSection("ChatStreaming"));
        using ServiceProvider provider = services.BuildServiceProvider();

        ChatStreamingOptions options = provider.GetRequiredService<IOptions<ChatStreamingOptions>>().Value;
        Assert.That(
            (options.IdleTimeout, options.RetentionPeriod, options.MaxActiveResponses, options.SubscriberCapacity, options.SubscriberOverflow),
            Is.EqualTo((TimeSpan.FromSeconds(45), TimeSpan.FromMinutes(10), 50, 32, OverflowStrategy.DropOldest)));
    }

    [Test]
    public void Invalid_options_fail_on_first_resolve_naming_every_setting()
    {
        var services = new ServiceCollection();
        services.AddChatStreaming(o => { o.SubscriberCapacity = 0; o.SubscriberOverflow = OverflowStrategy.Wait; });
        using ServiceProvider provider = services.BuildServiceProvider();

        var ex = Assert.Throws<OptionsValidationException>(() => provider.GetRequiredService<IChatStreamingStore>());
        Assert.That(ex!.Message, Does.Contain("SubscriberCapacity").And.Contain("SubscriberOverflow"));
    }

    [Test]
    public void The_container_disposes_the_store()
    {
        var services = new ServiceCollection();
        services.AddChatStreaming();
        ServiceProvider provider = services.BuildServiceProvider();
        IChatStreamingStore store = provider.GetRequiredService<IChatStreamingStore>();
        provider.Dispose();

        Assert.That(() => store.Publish(ChatStreamingEvent.Started("a")), Throws.InstanceOf<ObjectDisposedException>());
    }

    [Test]
    public void Null_services_are_refused()
        => Assert.That(() => ChatStreamingServiceCollectionExtensions.AddChatStreaming(null!), Throws.ArgumentNullException.With.Property("ParamName").EqualTo("services"));
}
