using System.Diagnostics.Tracing;

namespace StreamingCore;

/// <summary>
/// The <c>StreamingCore</c> event source: stream start, delta and complete signposts for <c>dotnet-trace</c>
/// and in-process <see cref="EventListener"/>s. Deltas are Verbose; start and complete Informational.
/// </summary>
[EventSource(Name = StreamingCoreDiagnostics.EventSourceName)]
internal sealed class StreamingCoreEventSource : EventSource
{
    public const int StreamStartId = 1;
    public const int StreamDeltaId = 2;
    public const int StreamCompleteId = 3;

    public static readonly StreamingCoreEventSource Log = new();

    private StreamingCoreEventSource()
    {
    }

    [Event(StreamStartId, Level = EventLevel.Informational, Message = "Stream {0} started at sequence {1}")]
    public void StreamStart(string conversationId, long sequence) => WriteEvent(StreamStartId, conversationId, sequence);

    [Event(StreamDeltaId, Level = EventLevel.Verbose, Message = "Stream {0} delta {1}: {2} characters")]
    public void StreamDelta(string conversationId, long sequence, int characters) => WriteEvent(StreamDeltaId, conversationId, sequence, characters);

    [Event(StreamCompleteId, Level = EventLevel.Informational, Message = "Stream {0} completed as {2} at sequence {1}: {3} deltas, {4} characters, {5} s")]
    public void StreamComplete(string conversationId, long sequence, string outcome, int deltas, int characters, double durationSeconds)
        => WriteEvent(StreamCompleteId, conversationId, sequence, outcome, deltas, characters, durationSeconds);
}
