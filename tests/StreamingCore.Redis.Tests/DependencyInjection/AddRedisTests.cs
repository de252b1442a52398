using System.Reflection;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using NUnit.Framework;
using StackExchange.Redis;
using StreamingCore.Redis.Internal;
using StreamingCore.Redis.Tests.Infrastructure;

namespace StreamingCore.Redis.Tests.DependencyInjection;

/// <summary>
/// <c>AddChatStreaming().AddRedis(...)</c>, both overloads, on the run's shared server: what they register, the options
/// (configured, bound, validated at start), who disposes the multiplexer, and the argument checks.
/// </summary>
public class AddRedisTests
{
    private RedisServer _server = null!;
    private string _prefix = null!;

    [OneTimeSetUp]
    public async Task Connect() => _server = await SharedRedis.ServerAsync().Guarded();

    [SetUp]
    public void NewPrefix() => _prefix = TestKeyPrefix.Next();

    [Test]
    public async Task The_string_overload_registers_the_Redis_store_as_IChatStreamingStore_with_its_local_store_as_DefaultChatStreamingStore()
    {
        var services = new ServiceCollection();
        services.AddChatStreaming().AddRedis(_server.ConnectionString, o => o.KeyPrefix = _prefix);

        await using ServiceProvider provider = services.BuildServiceProvider();
        AssertRegistrations(services, provider);
        await AssertPublishesUnderPrefixAsync(provider.GetRequiredService<IChatStreamingStore>(), _prefix);
    }

    [Test]
    public async Task The_factory_overload_registers_the_Redis_store_as_IChatStreamingStore_on_the_callers_multiplexer()
    {
        await using ConnectionMultiplexer mine = await _server.ConnectAsync().Guarded();
        var services = new ServiceCollection();
        services.AddSingleton<IConnectionMultiplexer>(mine);
        services.AddChatStreaming().AddRedis(sp => sp.GetRequiredService<IConnectionMultiplexer>(), o => o.KeyPrefix = _prefix);

        await using ServiceProvider provider = services.BuildServiceProvider();
        AssertRegistrations(services, provider);
        Assert.That(MultiplexerOf(provider.GetRequiredService<RedisChatStreamingStore>()), Is.SameAs(mine));
        await AssertPublishesUnderPrefixAsync(provider.GetRequiredService<IChatStreamingStore>(), _prefix);
    }

    [Test]
    public async Task The_configure_delegate_and_configuration_binding_both_reach_the_store()
    {
        IConfiguration configuration = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["Redis:KeyPrefix"] = "ignored:",
            ["Redis:LeaseDuration"] = "00:00:07",
            ["Redis:MaxBatchSize"] = "17",
            ["Redis:MetadataExpiry"] = "2.00:00:00",
        }).Build();
        var services = new ServiceCollection();
        services.AddOptions<RedisChatStreamingOptions>().Bind(configuration.GetSection("Redis"));

        // The delegate runs after the binding (registered later), so its prefix wins.
        services.AddChatStreaming().AddRedis(_server.ConnectionString, o => o.KeyPrefix = _prefix);

        await using ServiceProvider provider = services.BuildServiceProvider();
        provider.GetRequiredService<IStartupValidator>().Validate();
        RedisChatStreamingOptions options = provider.GetRequiredService<IOptions<RedisChatStreamingOptions>>().Value;
        Assert.That(
            (options.KeyPrefix, options.LeaseDuration, options.MaxBatchSize, options.MetadataExpiry),
            Is.EqualTo((_prefix, TimeSpan.FromSeconds(7), 17, TimeSpan.FromDays(2))));

        var store = provider.GetRequiredService<RedisChatStreamingStore>();
        await AssertPublishesUnderPrefixAsync(store, _prefix);

        // The bound lease is the one the store claims with: the lease key lives at most 7 s.
        const string Conversation = "leased";
        store.Publish(ChatStreamingEvent.Started(Conversation));
        await using ConnectionMultiplexer redis = await _server.ConnectAsync().Guarded();
        TimeSpan? ttl = await redis.GetDatabase().KeyTimeToLiveAsync($"{_prefix}{{{Conversation}}}:lease").Guarded();
        Assert.That(ttl, Is.Not.Null.And.GreaterThan(TimeSpan.Zero).And.LessThanOrEqualTo(TimeSpan.FromSeconds(7)));
    }

    [TestCase(nameof(RedisChatStreamingOptions.KeyPrefix), "KeyPrefix must not be null nor contain '{' or '}'")]
    [TestCase(nameof(RedisChatStreamingOptions.LeaseDuration), "LeaseDuration must be between 300 ms and 1 day; it is 00:00:00.1000000.")]
    [TestCase(nameof(RedisChatStreamingOptions.MaxOutboxLength), "MaxOutboxLength must be positive; it is 0.")]
    [TestCase(nameof(RedisChatStreamingOptions.MaxBatchSize), "MaxBatchSize must be between 1 and 10000; it is 10001.")]
    [TestCase(nameof(RedisChatStreamingOptions.MaxStreamLength), "MaxStreamLength must be at least 1000; it is 999.")]
    [TestCase(nameof(RedisChatStreamingOptions.MetadataExpiry), "MetadataExpiry must be positive; it is 00:00:00.")]
    [TestCase(nameof(RedisChatStreamingOptions.OperationTimeout), "OperationTimeout must be positive and at most 1 hour; it is -00:00:01.")]
    [TestCase(nameof(RedisChatStreamingOptions.ShutdownTimeout), "ShutdownTimeout must be between zero and 1 hour; it is 01:00:00.0010000.")]
    public void A_bad_option_fails_at_start_with_a_message_naming_it(string option, string message)
    {
        var services = new ServiceCollection();
        services.AddChatStreaming().AddRedis(_server.ConnectionString, o => Spoil(o, option));
        using ServiceProvider provider = services.BuildServiceProvider();

        var ex = Assert.Throws<OptionsValidationException>(() => provider.GetRequiredService<IStartupValidator>().Validate());

        Assert.That(ex!.OptionsType, Is.EqualTo(typeof(RedisChatStreamingOptions)));
        Assert.That(ex.Failures, Has.Exactly(1).StartsWith(message));
        Assert.That(ex.Message, Does.Contain(option));
    }

    [Test]
    public void Every_bad_option_is_named_together_in_one_failure_at_start_with_the_factory_overload_too()
    {
        var services = new ServiceCollection();
        services.AddChatStreaming().AddRedis(
            _ => throw new AssertionException("the multiplexer is not asked for before the options are valid"),
            o =>
            {
                o.KeyPrefix = "{bad}";
                o.MaxOutboxLength = -1;
                o.MetadataExpiry = TimeSpan.Zero;
            });
        using ServiceProvider provider = services.BuildServiceProvider();

        var ex = Assert.Throws<OptionsValidationException>(() => provider.GetRequiredService<IStartupValidator>().Validate());

        Assert.That(ex!.Failures.Select(f => f.Split(' ')[0]), Is.EqualTo(new[] { "KeyPrefix", "MaxOutboxLength", "MetadataExpiry" }));
    }

    [Test]
    public async Task Disposing_the_provider_leaves_the_callers_multiplexer_connected_and_usable()
    {
        await using ConnectionMultiplexer mine = await _server.ConnectAsync().Guarded();
        var services = new ServiceCollection();
        services.AddChatStreaming().AddRedis(_ => mine, o => o.KeyPrefix = _prefix);
        ServiceProvider provider = services.BuildServiceProvider();
        var store = provider.GetRequiredService<IChatStreamingStore>();
        await AssertPublishesUnderPrefixAsync(store, _prefix);

        await provider.DisposeAsync().Guarded();

        Assert.That(() => store.Publish(ChatStreamingEvent.Started("after")), Throws.InstanceOf<ObjectDisposedException>(), "the store was disposed");
        Assert.That(mine.IsConnected, Is.True);
        IDatabase db = mine.GetDatabase();
        await db.StringSetAsync(_prefix + "still-mine", "yes").Guarded();
        Assert.That((string?)await db.StringGetAsync(_prefix + "still-mine").Guarded(), Is.EqualTo("yes"));
    }

    [Test]
    public async Task Disposing_the_provider_synchronously_leaves_the_callers_multiplexer_connected_too()
    {
        await using ConnectionMultiplexer mine = await _server.ConnectAsync().Guarded();
        var services = new ServiceCollection();
        services.AddChatStreaming().AddRedis(_ => mine, o => o.KeyPrefix = _prefix);
        ServiceProvider provider = services.BuildServiceProvider();
        _ = provider.GetRequiredService<DefaultChatStreamingStore>();
        _ = provider.GetRequiredService<IChatStreamingStore>();

        provider.Dispose();

        Assert.That(mine.IsConnected, Is.True);
        Assert.That(await mine.GetDatabase().PingAsync().Guarded(), Is.GreaterThanOrEqualTo(TimeSpan.Zero));
    }

    [Test]
    public async Task Disposing_the_provider_disposes_the_multiplexer_the_string_overload_opened()
    {
        var services = new ServiceCollection();
        services.AddChatStreaming().AddRedis(_server.ConnectionString, o => o.KeyPrefix = _prefix);
        ServiceProvider provider = services.BuildServiceProvider();
        IConnectionMultiplexer owned = MultiplexerOf(provider.GetRequiredService<RedisChatStreamingStore>());
        Assert.That(owned.IsConnected, Is.True);

        await provider.DisposeAsync().Guarded();

        Assert.That(owned.IsConnected, Is.False);
        Assert.That(() => owned.GetDatabase().Ping(), Throws.InstanceOf<ObjectDisposedException>().Or.InstanceOf<RedisConnectionException>());
    }

    [Test]
    public async Task Disposing_the_provider_ends_an_active_response_with_Failed_for_another_instance_whatever_was_resolved_last()
    {
        var services = new ServiceCollection();
        services.AddChatStreaming().AddRedis(_server.ConnectionString, o => o.KeyPrefix = _prefix);
        ServiceProvider provider = services.BuildServiceProvider();
        var producer = provider.GetRequiredService<IChatStreamingStore>();

        // DefaultChatStreamingStore resolved last: the provider disposes it (the local store) first.
        Assert.That(provider.GetRequiredService<DefaultChatStreamingStore>(), Is.SameAs(((RedisChatStreamingStore)producer).Local));
        await using ConnectionMultiplexer other = await _server.ConnectAsync().Guarded();
        await using var reader = new RedisChatStreamingStore(other, redisOptions: new RedisChatStreamingOptions { KeyPrefix = _prefix });

        const string Conversation = "shutdown";
        ChatStreamingEvent started = producer.Publish(ChatStreamingEvent.Started(Conversation));
        ChatStreamingEvent delta = producer.Publish(ChatStreamingEvent.Delta(Conversation, "partial"));
        List<ChatStreamingEvent> read = [];
        await using (IAsyncEnumerator<ChatStreamingEvent> events = reader.SubscribeAsync(Conversation).GetAsyncEnumerator(TestGuard.Token))
        {
            Assert.That(await events.MoveNextAsync().Guarded(), Is.True);
            read.Add(events.Current);
            Assert.That(await events.MoveNextAsync().Guarded(), Is.True);
            read.Add(events.Current);

            await provider.DisposeAsync().Guarded();

            while (await events.MoveNextAsync().Guarded())
            {
                read.Add(events.Current);
            }
        }

        Assert.That(read.Take(2), Is.EqualTo(new[] { started, delta }));
        Assert.That(read.Select(e => (e.Kind, e.Sequence, e.Error)), Is.EqualTo(new[]
        {
            (ChatStreamingEventKind.Started, 1L, (string?)null),
            (ChatStreamingEventKind.Delta, 2L, null),
            (ChatStreamingEventKind.Failed, 3L, "store disposed"),
        }));
    }

    [Test]
    public void A_factory_that_returns_null_fails_the_resolution_with_a_clear_message()
    {
        var services = new ServiceCollection();
        services.AddChatStreaming().AddRedis(_ => null!);
        using ServiceProvider provider = services.BuildServiceProvider();

        var ex = Assert.Throws<InvalidOperationException>(() => provider.GetRequiredService<IChatStreamingStore>());

        Assert.That(ex!.Message, Is.EqualTo("The IConnectionMultiplexer factory given to AddRedis returned null."));
    }

    [Test]
    public void Null_and_empty_arguments_throw_naming_the_parameter()
    {
        IChatStreamingBuilder builder = new ServiceCollection().AddChatStreaming();
        IChatStreamingBuilder nullBuilder = null!;

        Assert.Multiple(() =>
        {
            Assert.That(() => nullBuilder.AddRedis("localhost:6379"), Throws.ArgumentNullException.With.Property("ParamName").EqualTo("builder"));
            Assert.That(() => nullBuilder.AddRedis(_ => null!), Throws.ArgumentNullException.With.Property("ParamName").EqualTo("builder"));
            Assert.That(() => builder.AddRedis((string)null!), Throws.ArgumentNullException.With.Property("ParamName").EqualTo("configuration"));
            Assert.That(() => builder.AddRedis(""), Throws.TypeOf<ArgumentException>().With.Property("ParamName").EqualTo("configuration"));
            Assert.That(() => builder.AddRedis("  "), Throws.TypeOf<ArgumentException>().With.Property("ParamName").EqualTo("configuration"));
            Assert.That(
                () => builder.AddRedis((Func<IServiceProvider, IConnectionMultiplexer>)null!),
                Throws.ArgumentNullException.With.Property("ParamName").EqualTo("multiplexerFactory"));
        });

        Assert.That(builder.Services.Count(d => d.ServiceType == typeof(IChatStreamingStore)), Is.EqualTo(1), "the refused calls registered nothing");
        Assert.That(builder.Services.Any(d => d.ServiceType == typeof(RedisChatStreamingStore)), Is.False);
    }

    private static void AssertRegistrations(ServiceCollection services, ServiceProvider provider)
    {
        Assert.That(services.Count(d => d.ServiceType == typeof(IChatStreamingStore)), Is.EqualTo(1));
        Assert.That(services.Count(d => d.ServiceType == typeof(DefaultChatStreamingStore)), Is.EqualTo(1));
        provider.GetRequiredService<IStartupValidator>().Validate();

        var store = provider.GetRequiredService<IChatStreamingStore>();
        Assert.That(store, Is.TypeOf<RedisChatStreamingStore>());
        Assert.That(provider.GetRequiredService<RedisChatStreamingStore>(), Is.SameAs(store));
        Assert.That(provider.GetRequiredService<DefaultChatStreamingStore>(), Is.SameAs(((RedisChatStreamingStore)store).Local));
        Assert.That(provider.GetRequiredService<IChatStreamingStore>(), Is.SameAs(store), "a singleton");
    }

    /// <summary>A response published through the store lands in Redis under the prefix: the store really is on Redis.</summary>
    private async Task AssertPublishesUnderPrefixAsync(IChatStreamingStore store, string prefix)
    {
        string conversation = "di-" + Guid.NewGuid().ToString("N");
        store.Publish(ChatStreamingEvent.Started(conversation));
        await using ConnectionMultiplexer redis = await _server.ConnectAsync().Guarded();
        Assert.That((string?)await redis.GetDatabase().HashGetAsync($"{prefix}{{{conversation}}}:meta", "a").Guarded(), Is.EqualTo("1"), "the Started claimed the conversation");
        store.Publish(ChatStreamingEvent.Finished(conversation));
    }

    private static IConnectionMultiplexer MultiplexerOf(RedisChatStreamingStore store)
    {
        FieldInfo field = typeof(RedisChatStreamingStore).GetField("_context", BindingFlags.NonPublic | BindingFlags.Instance)
            ?? throw new AssertionException("RedisChatStreamingStore has no _context field any more: update this test's look-up.");
        return ((RedisContext)field.GetValue(store)!).Multiplexer;
    }

    private static void Spoil(RedisChatStreamingOptions options, string option)
    {
        switch (option)
        {
            case nameof(RedisChatStreamingOptions.KeyPrefix): options.KeyPrefix = "app{1}:"; break;
            case nameof(RedisChatStreamingOptions.LeaseDuration): options.LeaseDuration = TimeSpan.FromMilliseconds(100); break;
            case nameof(RedisChatStreamingOptions.MaxOutboxLength): options.MaxOutboxLength = 0; break;
            case nameof(RedisChatStreamingOptions.MaxBatchSize): options.MaxBatchSize = 10_001; break;
            case nameof(RedisChatStreamingOptions.MaxStreamLength): options.MaxStreamLength = 999; break;
            case nameof(RedisChatStreamingOptions.MetadataExpiry): options.MetadataExpiry = TimeSpan.Zero; break;
            case nameof(RedisChatStreamingOptions.OperationTimeout): options.OperationTimeout = TimeSpan.FromSeconds(-1); break;
            case nameof(RedisChatStreamingOptions.ShutdownTimeout): options.ShutdownTimeout = TimeSpan.FromHours(1) + TimeSpan.FromMilliseconds(1); break;
            default: throw new ArgumentOutOfRangeException(nameof(option), option, null);
        }
    }
}
