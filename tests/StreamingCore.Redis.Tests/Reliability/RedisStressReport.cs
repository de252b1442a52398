using System.Globalization;

namespace StreamingCore.Redis.Tests.Reliability;

/// <summary>What one Redis stress run did, for the test output and docs/reliability.md.</summary>
internal sealed class RedisStressReport
{
    public int Rounds;
    public long Conversations;
    public long Responses;
    public long ResponsesOnA;
    public long ResponsesOnB;
    public long EventsPublished;
    public long CharactersPublished;
    public long StartRetries;
    public long StartsUnavailable;
    public long Consumers;
    public long Subscriptions;
    public long EventsReceived;
    public long EventsCovered;
    public long CoalescedDeltas;
    public long DisconnectResumes;
    public long WaitingCancelResumes;
    public long RefusedResumes;
    public string? LastRefusal;
    public long Lost;
    public long Duplicated;
    public long Reordered;
    public long Altered;
    public TimeSpan Elapsed;

    /// <summary>Events published per second of the whole run (setup, verification and drain included).</summary>
    public double EventsPerSecond => Elapsed > TimeSpan.Zero ? EventsPublished / Elapsed.TotalSeconds : 0;

    public override string ToString() => string.Create(
        CultureInfo.InvariantCulture,
        $"rounds {Rounds}; conversations {Conversations}; responses {Responses} (A {ResponsesOnA}, B {ResponsesOnB}); "
        + $"events published {EventsPublished} ({EventsPerSecond:F0} events/s over {Elapsed.TotalSeconds:F1} s); characters {CharactersPublished}; "
        + $"Started retried while the other instance's response was still ending {StartRetries}; Started refused with StoreUnavailable (retried) {StartsUnavailable}; "
        + $"consumers {Consumers}; subscriptions {Subscriptions}; events received {EventsReceived} (covering {EventsCovered} published, {CoalescedDeltas} deltas merged by Coalesce); "
        + $"disconnect+resume on the other instance {DisconnectResumes}; cancel-while-waiting+resume on the other instance {WaitingCancelResumes}; "
        + $"valid positions refused with SequenceNotRetained (retried 20 ms later) {RefusedResumes}; "
        + $"lost {Lost}; duplicated {Duplicated}; reordered {Reordered}; altered {Altered}") + (LastRefusal is null ? "" : $"; a refusal: {LastRefusal}");
}
