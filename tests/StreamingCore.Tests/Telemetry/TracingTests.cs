using System.Diagnostics;
using Microsoft.Extensions.Time.Testing;
using NUnit.Framework;
using StreamingCore.Tests.Support;

namespace StreamingCore.Tests.Telemetry;

public class TracingTests
{
    private readonly List<Activity> _stopped = [];
    private ActivityListener _listener = null!;
    private ActivitySource _producerSource = null!;

    [SetUp]
    public void SetUp()
    {
        _listener = new ActivityListener
        {
            ShouldListenTo = source => source.Name is StreamingCoreDiagnostics.ActivitySourceName or "Tests.Producer",
            Sample = (ref ActivityCreationOptions<ActivityContext> _) => ActivitySamplingResult.AllDataAndRecorded,
            ActivityStopped = a =>
            {
                lock (_stopped)
                {
                    _stopped.Add(a);
                }
            },
        };
        ActivitySource.AddActivityListener(_listener);
        _producerSource = new ActivitySource("Tests.Producer");
    }

    [TearDown]
    public void TearDown()
    {
        _listener.Dispose();
        _producerSource.Dispose();
    }

    private List<Activity> Responses(string conversationId)
    {
        lock (_stopped)
        {
            return _stopped.Where(a => a.OperationName == StreamingCoreDiagnostics.ResponseActivityName
                && (string?)a.GetTagItem(StreamingCoreDiagnostics.ConversationIdTag) == conversationId).ToList();
        }
    }

    [Test]
    public void One_activity_per_response_parented_to_the_producer_with_its_counts_and_usage()
    {
        var time = new FakeTimeProvider();
        using var store = new DefaultChatStreamingStore(timeProvider: time);
        using Activity producer = _producerSource.StartActivity("llm.call")!;

        store.Publish(ChatStreamingEvent.Started("traced"));
        Assert.That(Activity.Current, Is.SameAs(producer), "the producer keeps its own current activity");
        time.Advance(TimeSpan.FromMilliseconds(250));
        store.Publish(ChatStreamingEvent.Delta("traced", "Hello"));
        time.Advance(TimeSpan.FromMilliseconds(750));
        store.Publish(ChatStreamingEvent.Finished("traced", new TokenUsage(7, 3)));
        Assert.That(Activity.Current, Is.SameAs(producer));

        Activity response = Responses("traced").Single();
        Assert.Multiple(() =>
        {
            Assert.That(response.ParentSpanId, Is.EqualTo(producer.SpanId));
            Assert.That(response.TraceId, Is.EqualTo(producer.TraceId));
            Assert.That(response.Duration, Is.EqualTo(TimeSpan.FromSeconds(1)));
            Assert.That(response.Status, Is.EqualTo(ActivityStatusCode.Unset));
            Assert.That(response.Events.Single().Name, Is.EqualTo(StreamingCoreDiagnostics.FirstDeltaEventName));
            Assert.That(response.Events.Single().Timestamp - response.StartTimeUtc, Is.EqualTo(TimeSpan.FromMilliseconds(250)));
            Assert.That(response.GetTagItem(StreamingCoreDiagnostics.DeltaCountTag), Is.EqualTo(1));
            Assert.That(response.GetTagItem(StreamingCoreDiagnostics.CharacterCountTag), Is.EqualTo(5));
            Assert.That(response.GetTagItem(StreamingCoreDiagnostics.InputTokensTag), Is.EqualTo(7));
            Assert.That(response.GetTagItem(StreamingCoreDiagnostics.OutputTokensTag), Is.EqualTo(3));
            Assert.That(response.GetTagItem(StreamingCoreDiagnostics.OutcomeTag), Is.EqualTo("finished"));
        });
    }

    [Test]
    public void A_failed_response_has_status_Error_with_its_message()
    {
        using var store = new DefaultChatStreamingStore();
        store.Publish(ChatStreamingEvent.Started("failing"));
        store.Publish(ChatStreamingEvent.Failed("failing", "model overloaded"));
        store.PublishResponse("ok", "fine");

        Activity failed = Responses("failing").Single();
        Assert.Multiple(() =>
        {
            Assert.That((failed.Status, failed.StatusDescription), Is.EqualTo((ActivityStatusCode.Error, "model overloaded")));
            Assert.That(Responses("ok").Single().Status, Is.EqualTo(ActivityStatusCode.Unset));
        });
    }
}
