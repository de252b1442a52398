namespace StreamingCore.Tests.Replication;

/// <summary>
/// An <see cref="IChatStreamingJournal"/> that records every call and places each response where the test says
/// (<see cref="Place"/>); by default it continues its own count of each conversation's sequence in one epoch.
/// </summary>
internal sealed class RecordingJournal : IChatStreamingJournal
{
    public RecordingJournal(string epoch = "journal-epoch")
    {
        Epoch = epoch;
        Place = id =>
        {
            // The next response goes after what this journal saw of the conversation.
            long last = Appended.Where(e => e.ConversationId == id).Select(e => e.Sequence).DefaultIfEmpty(0).Max();
            return new ChatStreamPosition(Epoch, last + 1);
        };
    }

    public string Epoch { get; set; }

    /// <summary>Decides (or refuses, by throwing) where a response goes.</summary>
    public Func<string, ChatStreamPosition> Place { get; set; }

    public List<string> BeginCalls { get; } = [];

    public List<ChatStreamPosition> Placed { get; } = [];

    public List<ChatStreamingEvent> Appended { get; } = [];

    public ChatStreamPosition BeginResponse(string conversationId)
    {
        BeginCalls.Add(conversationId);
        ChatStreamPosition position = Place(conversationId);
        Placed.Add(position);
        return position;
    }

    public void Append(in ChatStreamingEvent published) => Appended.Add(published);

    public static Func<string, ChatStreamPosition> Always(ChatStreamPosition position) => _ => position;

    public static Func<string, ChatStreamPosition> Refuse(ChatStreamingException refusal) => _ => throw refusal;
}
