using System.Net;
using NUnit.Framework;
using StackExchange.Redis;
using StreamingCore.Redis.Tests.Infrastructure;

namespace StreamingCore.Redis.Tests.Servers;

/// <summary>
/// The run's shared 3-master cluster behaves as the store's cluster tests need: hash tags keep a conversation's keys in one
/// slot (a Lua script may touch them together) and spread conversations over the masters; sharded pub/sub delivers.
/// </summary>
public class RedisClusterTests
{
    private const string TwoKeyScript = """
        redis.call('SET', KEYS[1], ARGV[1])
        redis.call('SET', KEYS[2], ARGV[1])
        return redis.call('GET', KEYS[2])
        """;

    private RedisCluster _cluster = null!;
    private ConnectionMultiplexer _redis = null!;
    private string _prefix = null!;

    [OneTimeSetUp]
    public async Task Connect()
    {
        _cluster = await SharedRedis.ClusterAsync().Guarded();
        _redis = await _cluster.ConnectAsync(o => o.AllowAdmin = true).Guarded();
    }

    [OneTimeTearDown]
    public async Task Disconnect()
    {
        if (_redis is not null)
        {
            await _redis.DisposeAsync();
        }
    }

    [SetUp]
    public void NewPrefix() => _prefix = TestKeyPrefix.Next();

    [Test]
    public async Task It_has_three_masters_and_no_replicas_serving_every_slot()
    {
        ClusterConfiguration? config = await _redis.GetServer(_cluster.Nodes[0].EndPoint).ClusterNodesAsync().Guarded();

        Assert.That(config, Is.Not.Null);
        Assert.That(config!.Nodes.Count(n => !n.IsReplica), Is.EqualTo(RedisCluster.MasterCount));
        Assert.That(config.Nodes.Count(n => n.IsReplica), Is.Zero);
        Assert.That(config.Nodes.Sum(n => n.Slots.Sum(s => s.To - s.From + 1)), Is.EqualTo(16384));
        Assert.That(config.Nodes.Select(n => ((IPEndPoint)n.EndPoint!).Port), Is.EquivalentTo(_cluster.Nodes.Select(n => n.Port)));
    }

    [Test]
    public async Task A_script_on_two_keys_with_the_same_hash_tag_runs()
    {
        RedisKey[] keys = [$"{{{_prefix}conv-1}}:events", $"{{{_prefix}conv-1}}:meta"];

        RedisResult result = await _redis.GetDatabase().ScriptEvaluateAsync(TwoKeyScript, keys, ["v"]).Guarded();

        Assert.That((string?)result, Is.EqualTo("v"));
        Assert.That(_redis.HashSlot(keys[0]), Is.EqualTo(_redis.HashSlot(keys[1])));
    }

    [Test]
    public async Task A_script_on_two_keys_with_different_hash_tags_is_refused_with_CROSSSLOT()
    {
        string first = $"{{{_prefix}conv-1}}:events", second = $"{{{_prefix}conv-2}}:events";
        Assume.That(_redis.HashSlot(first), Is.Not.EqualTo(_redis.HashSlot(second)));
        // Sent as plain arguments to the node that owns the first key, so the refusal is the server's, not the client's own
        // slot check.
        IServer owner = _redis.GetServer((RedisKey)first);

        var refused = await Assert.ThrowsAsync<RedisServerException>(async () =>
            await owner.ExecuteAsync("EVAL", TwoKeyScript, 2, first, second, "v").Guarded());

        Assert.That(refused!.Message, Does.Contain("CROSSSLOT"));
        Assert.That(await _redis.GetDatabase().KeyExistsAsync(first).Guarded(), Is.False, "nothing ran");
    }

    [Test]
    public async Task Keys_with_different_hash_tags_land_on_every_master()
    {
        IDatabase db = _redis.GetDatabase();
        string[] keys = [.. Enumerable.Range(1, 30).Select(i => $"{{{_prefix}conv-{i}}}:events")];
        foreach (string key in keys)
        {
            await db.StringSetAsync(key, "v").Guarded();
        }

        // Asked of each node itself (SCAN on that node only), not of the client's slot map.
        var holders = new Dictionary<int, List<string>>();
        foreach (RedisServer node in _cluster.Nodes)
        {
            var found = new List<string>();
            await foreach (RedisKey key in _redis.GetServer(node.EndPoint).KeysAsync(pattern: $"{{{_prefix}*").WithCancellation(TestGuard.Token))
            {
                found.Add(key!);
            }

            holders[node.Port] = found;
        }

        Assert.That(holders.Values.Where(h => h.Count > 0).Count(), Is.EqualTo(RedisCluster.MasterCount), string.Join("; ", holders.Select(h => $"{h.Key}: {h.Value.Count}")));
        Assert.That(holders.Values.SelectMany(h => h), Is.EquivalentTo(keys), "each key on exactly one master");
    }

    [Test]
    public async Task A_sharded_publish_reaches_a_sharded_subscriber()
    {
        RedisChannel channel = RedisChannel.Sharded($"{{{_prefix}conv-1}}:live");
        ISubscriber subscriber = _redis.GetSubscriber();
        ChannelMessageQueue messages = await subscriber.SubscribeAsync(channel).Guarded();
        try
        {
            long receivers = await subscriber.PublishAsync(channel, "hello").Guarded();
            ChannelMessage message = await messages.ReadAsync(TestGuard.Token).AsTask().Guarded();

            Assert.That(receivers, Is.EqualTo(1));
            Assert.That((string?)message.Message, Is.EqualTo("hello"));
            Assert.That(message.Channel.IsSharded, Is.True);
        }
        finally
        {
            await messages.UnsubscribeAsync();
        }
    }
}
