namespace StreamingCore.Tests.Reliability;

/// <summary>What one stress run did, for the test output and docs/reliability.md.</summary>
internal sealed class StressReport
{
    public int Rounds;
    public long Conversations;
    public long Responses;
    public long EventsPublished;
    public long CharactersPublished;
    public long Subscribers;
    public long EventsReceived;
    public long Disconnects;
    public long Cancellations;
    public long OverflowResumes;
    public long ThrowingObservers;
    public long ObserverEventsChecked;
    public readonly Dictionary<OverflowStrategy, int> RoundsPerStrategy = [];

    public override string ToString()
        => $"rounds {Rounds} ({string.Join(", ", RoundsPerStrategy.OrderBy(p => p.Key).Select(p => $"{p.Key} {p.Value}"))}); "
         + $"conversations {Conversations}; responses {Responses}; events published {EventsPublished}; characters {CharactersPublished}; "
         + $"subscribers {Subscribers}; events received {EventsReceived}; disconnect+resume {Disconnects}; cancel+resume {Cancellations}; "
         + $"Reject overflow+resume {OverflowResumes}; throwing observers {ThrowingObservers}; events checked by an Events observer {ObserverEventsChecked}";
}
