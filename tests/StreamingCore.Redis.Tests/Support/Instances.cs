using Microsoft.Extensions.Time.Testing;
using StackExchange.Redis;
using StreamingCore.Redis.Tests.Infrastructure;

namespace StreamingCore.Redis.Tests.Support;

/// <summary>
/// Several app instances on one Redis: one <see cref="RedisChatStreamingStore"/> each, with its own connection, sharing a
/// key prefix unique to the test and a <see cref="FakeTimeProvider"/> (idle timeouts, leases watches and retention move
/// only when the test says so).
/// </summary>
internal sealed class Instances : IAsyncDisposable
{
    private readonly List<RedisChatStreamingStore> _stores = [];

    private Instances(string connectionString, string prefix)
    {
        ConnectionString = connectionString;
        Prefix = prefix;
    }

    public string ConnectionString { get; }

    public string Prefix { get; }

    public FakeTimeProvider Time { get; } = new();

    public RedisChatStreamingStore this[int index] => _stores[index];

    /// <summary>Starts <paramref name="count"/> instances on a server's connection.</summary>
    public static async Task<Instances> StartAsync(
        string connectionString,
        int count,
        Action<ChatStreamingOptions>? configure = null,
        Action<RedisChatStreamingOptions>? configureRedis = null)
    {
        var instances = new Instances(connectionString, TestKeyPrefix.Next());
        for (int i = 0; i < count; i++)
        {
            await instances.AddAsync(configure, configureRedis).ConfigureAwait(false);
        }

        return instances;
    }

    /// <summary>Starts one more instance (a new process, as far as Redis can tell).</summary>
    public async Task<RedisChatStreamingStore> AddAsync(Action<ChatStreamingOptions>? configure = null, Action<RedisChatStreamingOptions>? configureRedis = null)
    {
        var options = new ChatStreamingOptions();
        configure?.Invoke(options);
        var redisOptions = new RedisChatStreamingOptions { KeyPrefix = Prefix };
        configureRedis?.Invoke(redisOptions);
        ConfigurationOptions configuration = ConfigurationOptions.Parse(ConnectionString);
        configuration.AbortOnConnectFail = false;

        // Generous: the tests share two cores with builds and other test runs, and a slow connect is not what they test.
        configuration.ConnectTimeout = 15_000;
        configuration.SyncTimeout = 15_000;
        configuration.AsyncTimeout = 15_000;
        ConnectionMultiplexer multiplexer = await ConnectionMultiplexer.ConnectAsync(configuration).ConfigureAwait(false);
        var store = new RedisChatStreamingStore(multiplexer, options, redisOptions, Time, ownsMultiplexer: true);
        _stores.Add(store);
        return store;
    }

    public async ValueTask DisposeAsync()
    {
        foreach (RedisChatStreamingStore store in _stores)
        {
            await store.DisposeAsync().ConfigureAwait(false);
        }
    }
}
