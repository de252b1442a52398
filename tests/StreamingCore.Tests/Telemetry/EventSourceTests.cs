using System.Diagnostics.Tracing;
using NUnit.Framework;
using StreamingCore.Tests.Support;

namespace StreamingCore.Tests.Telemetry;

public class EventSourceTests
{
    private sealed class Listener : EventListener
    {
        public List<EventWrittenEventArgs> Events { get; } = [];

        protected override void OnEventSourceCreated(EventSource eventSource)
        {
            if (eventSource.Name == StreamingCoreDiagnostics.EventSourceName)
            {
                EnableEvents(eventSource, EventLevel.Verbose);
            }
        }

        protected override void OnEventWritten(EventWrittenEventArgs eventData)
        {
            lock (Events)
            {
                Events.Add(eventData);
            }
        }
    }

    [Test]
    public void Start_delta_and_complete_events_reach_a_listener()
    {
        using var listener = new Listener();
        using var store = new DefaultChatStreamingStore();
        store.PublishResponse("signposts", "Hi", "!");

        List<EventWrittenEventArgs> mine;
        lock (listener.Events)
        {
            mine = listener.Events.Where(e => (string?)e.Payload![0] == "signposts").ToList();
        }

        Assert.Multiple(() =>
        {
            Assert.That(mine.Select(e => e.EventName), Is.EqualTo(new[] { "StreamStart", "StreamDelta", "StreamDelta", "StreamComplete" }));
            Assert.That(mine[1].Payload, Is.EqualTo(new object[] { "signposts", 2L, 2 }));
            Assert.That(mine[3].Payload!.Take(5), Is.EqualTo(new object[] { "signposts", 4L, "finished", 2, 3 }));
            Assert.That(mine[1].Level, Is.EqualTo(EventLevel.Verbose));
        });
    }
}
