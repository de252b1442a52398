using System.Globalization;
using System.Text;
using NUnit.Framework;
using StackExchange.Redis;
using StreamingCore.Redis.Tests.Infrastructure;

namespace StreamingCore.Redis.Tests.Cluster;

/// <summary>
/// Two app instances (two stores, each on its own multiplexer) on the run's shared 3-master cluster: what one publishes the
/// other reads exactly, whichever master holds the conversation; a conversation's keys stay together in its slot, under the
/// key prefix and its <c>{hash tag}</c>; resume by position and a second response from the other instance keep one numbering.
/// </summary>
public class ClusterStoreTests
{
    // The masters' slot ranges, in the order of RedisCluster.Nodes.
    private static readonly (int From, int To)[] SlotRanges = [(0, 5460), (5461, 10922), (10923, 16383)];

    private RedisCluster _cluster = null!;
    private ConnectionMultiplexer _admin = null!;
    private string _prefix = null!;
    private RedisChatStreamingStore _a = null!;
    private RedisChatStreamingStore _b = null!;

    [OneTimeSetUp]
    public async Task Connect()
    {
        _cluster = await SharedRedis.ClusterAsync().Guarded();
        _admin = await _cluster.ConnectAsync().Guarded();
    }

    [OneTimeTearDown]
    public async Task Disconnect()
    {
        if (_admin is not null)
        {
            await _admin.DisposeAsync();
        }
    }

    [SetUp]
    public async Task StartInstances()
    {
        _prefix = "sc" + TestKeyPrefix.Next();
        _a = await Instances.StartAsync(() => _cluster.ConnectAsync(), _prefix);
        _b = await Instances.StartAsync(() => _cluster.ConnectAsync(), _prefix);
    }

    [TearDown]
    public async Task StopInstances()
    {
        await _a.DisposeAsync().Guarded();
        await _b.DisposeAsync().Guarded();
    }

    [Test]
    public async Task Responses_published_on_A_are_read_exactly_on_B_for_conversations_on_each_master_and_their_keys_stay_together()
    {
        string[] conversations = [.. Enumerable.Range(0, RedisCluster.MasterCount).Select(OnMaster)];

        foreach (string conversation in conversations)
        {
            List<ChatStreamingEvent> published = [];
            List<ChatStreamingEvent> read = await Instances.ReadLiveAsync(
                SubscribeWhenStartedOnA(conversation, published),
                () => published.AddRange(Instances.PublishRest(_a, conversation, "Hel", "lo ", conversation)));

            Assert.That(read, Is.EqualTo(published), conversation);
            Assert.That(string.Concat(read.Select(e => e.Text)), Is.EqualTo("Hello " + conversation));
            Assert.That(read.Select(e => e.Sequence), Is.EqualTo(new long[] { 1, 2, 3, 4, 5 }));
            Assert.That(read.Select(e => e.Position), Is.EqualTo(published.Select(e => e.Position)));
        }

        // Each master holds exactly the keys of its conversation, all with the conversation's tag right after the prefix.
        for (int node = 0; node < RedisCluster.MasterCount; node++)
        {
            string root = $"{_prefix}{{{conversations[node]}}}:";
            List<string> keys = await Instances.ScanAsync(_admin.GetServer(_cluster.Nodes[node].EndPoint), _prefix + "*");
            Assert.That(keys, Is.EqualTo(new[] { root + "meta", root + "responses", root + "stream" }), $"node {node} ({_cluster.Nodes[node].EndPoint})");
            Assert.That(keys.Select(k => _admin.HashSlot(k)).Distinct().Count(), Is.EqualTo(1), $"node {node}");
        }
    }

    [Test]
    public async Task A_conversation_id_with_braces_gets_an_encoded_tag_and_its_keys_share_one_slot()
    {
        const string Conversation = "tenant{7}:chat}{x";
        string tag = "~" + Convert.ToBase64String(Encoding.UTF8.GetBytes(Conversation)).TrimEnd('=').Replace('+', '-').Replace('/', '_');

        List<ChatStreamingEvent> published = [];
        List<ChatStreamingEvent> read = await Instances.ReadLiveAsync(
            SubscribeWhenStartedOnA(Conversation, published),
            () => published.AddRange(Instances.PublishRest(_a, Conversation, "brace", "s ok")));

        Assert.That(read, Is.EqualTo(published));
        Assert.That(string.Concat(read.Select(e => e.Text)), Is.EqualTo("braces ok"));

        List<string> keys = [];
        List<int> nodesHolding = [];
        for (int node = 0; node < RedisCluster.MasterCount; node++)
        {
            List<string> onNode = await Instances.ScanAsync(_admin.GetServer(_cluster.Nodes[node].EndPoint), _prefix + "*");
            if (onNode.Count > 0)
            {
                nodesHolding.Add(node);
            }

            keys.AddRange(onNode);
        }

        string root = $"{_prefix}{{{tag}}}:";
        Assert.That(keys, Is.EqualTo(new[] { root + "meta", root + "responses", root + "stream" }));
        Assert.That(nodesHolding, Has.Count.EqualTo(1));
        Assert.That(keys.Select(k => _admin.HashSlot(k)).Distinct(), Is.EqualTo(new[] { _admin.HashSlot("{" + tag + "}") }));
        Assert.That(SlotRanges[nodesHolding[0]].From <= _admin.HashSlot(keys[0]) && _admin.HashSlot(keys[0]) <= SlotRanges[nodesHolding[0]].To, Is.True);
    }

    [Test]
    public async Task B_resumes_by_position_and_a_third_instance_that_never_followed_it_too()
    {
        string conversation = OnMaster(1);
        List<ChatStreamingEvent> published = [];
        List<ChatStreamingEvent> read = await Instances.ReadLiveAsync(
            SubscribeWhenStartedOnA(conversation, published),
            () => published.AddRange(Instances.PublishRest(_a, conversation, "one ", "two ", "three ", "four")));
        Assert.That(read, Is.EqualTo(published));

        // After the delta "two " (sequence 3): exactly "three ", "four" and Finished.
        ChatStreamPosition afterTwo = read[2].Position;
        List<ChatStreamingEvent> resumedOnB = await Instances.ReadAllAsync(_b.SubscribeAsync(conversation, afterTwo));

        await using RedisChatStreamingStore c = await Instances.StartAsync(() => _cluster.ConnectAsync(), _prefix);
        List<ChatStreamingEvent> resumedOnC = await Instances.ReadAllAsync(c.SubscribeAsync(conversation, afterTwo));

        Assert.That(resumedOnB, Is.EqualTo(published[3..]));
        Assert.That(resumedOnC, Is.EqualTo(published[3..]));
        Assert.That(resumedOnC.Select(e => e.Sequence), Is.EqualTo(new long[] { 4, 5, 6 }));
        Assert.That(string.Concat(resumedOnC.Select(e => e.Text)), Is.EqualTo("three four"));
    }

    [Test]
    public async Task A_second_response_published_on_B_continues_the_sequence_and_epoch_of_the_first_on_A()
    {
        string conversation = OnMaster(2);
        List<ChatStreamingEvent> first = [];
        List<ChatStreamingEvent> firstOnB = await Instances.ReadLiveAsync(
            SubscribeWhenStartedOnA(conversation, first),
            () => first.AddRange(Instances.PublishRest(_a, conversation, "first")));
        Assert.That(firstOnB, Is.EqualTo(first));

        // A follows from the end of the first response; B produces the second.
        IAsyncEnumerable<ChatStreamingEvent> onA = _a.SubscribeAsync(conversation, first[^1].Position);
        List<ChatStreamingEvent> second = [];
        Task<List<ChatStreamingEvent>> readOnA = Instances.ReadAllAsync(onA);
        second.AddRange(Instances.PublishResponse(_b, conversation, "sec", "ond"));
        List<ChatStreamingEvent> secondOnA = await readOnA.Guarded();

        Assert.That(first.Select(e => e.Sequence), Is.EqualTo(new long[] { 1, 2, 3 }));
        Assert.That(second.Select(e => e.Sequence), Is.EqualTo(new long[] { 4, 5, 6, 7 }));
        Assert.That(second.Select(e => e.Epoch).Distinct(), Is.EqualTo(new[] { first[0].Epoch }));
        Assert.That(secondOnA, Is.EqualTo(second));
        Assert.That(string.Concat(secondOnA.Select(e => e.Text)), Is.EqualTo("second"));

        // And a third instance reads the whole second response from the first's end.
        await using RedisChatStreamingStore c = await Instances.StartAsync(() => _cluster.ConnectAsync(), _prefix);
        Assert.That(await Instances.ReadAllAsync(c.SubscribeAsync(conversation, first[^1].Position)), Is.EqualTo(second));
    }

    [Test]
    public async Task A_subscriber_on_B_that_came_before_the_response_gets_all_of_it_when_A_starts_it()
    {
        string conversation = OnMaster(0);
        await using IAsyncEnumerator<ChatStreamingEvent> onB = _b.SubscribeAsync(conversation).GetAsyncEnumerator(TestGuard.Token);
        Task<bool> first = onB.MoveNextAsync().AsTask();

        List<ChatStreamingEvent> published = Instances.PublishResponse(_a, conversation, "early ", "bird");

        List<ChatStreamingEvent> read = [];
        for (bool more = await first.Guarded(); more; more = await onB.MoveNextAsync().Guarded())
        {
            read.Add(onB.Current);
        }

        Assert.That(read, Is.EqualTo(published));
        Assert.That(string.Concat(read.Select(e => e.Text)), Is.EqualTo("early bird"));
    }

    [Test]
    public async Task A_position_of_another_epoch_or_ahead_of_the_stream_is_not_retained_on_B()
    {
        string conversation = OnMaster(1);
        List<ChatStreamingEvent> published = Instances.PublishResponse(_a, conversation, "x");
        Assert.That(await Instances.ReadAllAsync(_b.SubscribeAsync(conversation, published[0].Position)), Is.EqualTo(published[1..]));

        var otherEpoch = await Assert.ThrowsAsync<ChatStreamingException>(() => Instances.ReadAllAsync(_b.SubscribeAsync(conversation, new ChatStreamPosition("other-epoch", 1))));
        var ahead = await Assert.ThrowsAsync<ChatStreamingException>(() => Instances.ReadAllAsync(_b.SubscribeAsync(conversation, new ChatStreamPosition(published[0].Epoch!, 4))));

        Assert.That(otherEpoch!.Error, Is.EqualTo(ChatStreamingError.SequenceNotRetained));
        Assert.That(ahead!.Error, Is.EqualTo(ChatStreamingError.SequenceNotRetained));
    }

    /// <summary>Publishes Started on A (added to <paramref name="published"/>) and returns B's subscription to that response.</summary>
    private IAsyncEnumerable<ChatStreamingEvent> SubscribeWhenStartedOnA(string conversation, List<ChatStreamingEvent> published)
    {
        published.Add(_a.Publish(ChatStreamingEvent.Started(conversation)));
        return _b.SubscribeAsync(conversation);
    }

    /// <summary>A conversation id whose hash tag falls in the slots of master <paramref name="master"/>.</summary>
    private string OnMaster(int master)
    {
        for (int i = 0; ; i++)
        {
            string conversation = "conv-" + i.ToString(CultureInfo.InvariantCulture);
            int slot = Slot(conversation);
            if (slot >= SlotRanges[master].From && slot <= SlotRanges[master].To)
            {
                return conversation;
            }
        }
    }

    private int Slot(string conversation) => _admin.HashSlot("{" + conversation + "}");
}
