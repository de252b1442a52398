using Microsoft.Extensions.Time.Testing;

namespace StreamingCore.Tests.Replication;

/// <summary>Stores with a journal on a <see cref="FakeTimeProvider"/>, and events "published by another instance".</summary>
internal static class ReplicationFixture
{
    /// <summary>When the other instance published its events (any fixed time; replicated events keep it).</summary>
    public static readonly DateTimeOffset RemoteTime = new(2026, 11, 26, 12, 0, 0, TimeSpan.Zero);

    public static (DefaultChatStreamingStore Store, FakeTimeProvider Time) Create(IChatStreamingJournal? journal, Action<ChatStreamingOptions>? configure = null)
    {
        var options = new ChatStreamingOptions();
        configure?.Invoke(options);
        var time = new FakeTimeProvider();
        return (new DefaultChatStreamingStore(options, time, journal: journal), time);
    }

    public static ChatStreamingEvent RemoteStarted(string conversationId, string epoch, long sequence)
        => ChatStreamingEvent.FromPublished(ChatStreamingEventKind.Started, conversationId, new ChatStreamPosition(epoch, sequence), RemoteTime.AddSeconds(sequence));

    public static ChatStreamingEvent RemoteDelta(string conversationId, string epoch, long sequence, string text)
        => ChatStreamingEvent.FromPublished(ChatStreamingEventKind.Delta, conversationId, new ChatStreamPosition(epoch, sequence), RemoteTime.AddSeconds(sequence), text: text);

    public static ChatStreamingEvent RemoteFinished(string conversationId, string epoch, long sequence)
        => ChatStreamingEvent.FromPublished(ChatStreamingEventKind.Finished, conversationId, new ChatStreamPosition(epoch, sequence), RemoteTime.AddSeconds(sequence));

    public static ChatStreamingEvent RemoteFailed(string conversationId, string epoch, long sequence, string error)
        => ChatStreamingEvent.FromPublished(ChatStreamingEventKind.Failed, conversationId, new ChatStreamPosition(epoch, sequence), RemoteTime.AddSeconds(sequence), error: error);

    /// <summary>A whole remote response from <paramref name="firstSequence"/>: Started, one delta per piece, Finished.</summary>
    public static List<ChatStreamingEvent> RemoteResponse(string conversationId, string epoch, long firstSequence, params string[] pieces)
    {
        var events = new List<ChatStreamingEvent> { RemoteStarted(conversationId, epoch, firstSequence) };
        long sequence = firstSequence;
        events.AddRange(pieces.Select(p => RemoteDelta(conversationId, epoch, ++sequence, p)));
        events.Add(RemoteFinished(conversationId, epoch, sequence + 1));
        return events;
    }

    /// <summary>Replicates each event and returns what the store said about each.</summary>
    public static ChatReplicationResult[] ReplicateAll(this DefaultChatStreamingStore store, IEnumerable<ChatStreamingEvent> events)
        => events.Select(store.Replicate).ToArray();

    public static string[] Describe(IEnumerable<ChatStreamingEvent> events)
        => events.Select(e => $"{e.Kind} {e.Position} {e.Text ?? e.Error}".TrimEnd()).ToArray();
}
