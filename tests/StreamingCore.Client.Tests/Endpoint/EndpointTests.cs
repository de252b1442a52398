using System.Net;
using System.Text;
using System.Threading.Channels;
using NUnit.Framework;
using StreamingCore.Client.Tests.Support;

namespace StreamingCore.Client.Tests.Endpoint;

/// <summary>The client against the real <c>MapChatStreamingEvents</c> endpoint on Kestrel.</summary>
public class EndpointTests
{
    private static readonly TimeSpan MaxConnectionDuration = TimeSpan.FromSeconds(10);
    private static readonly TimeSpan ReconnectionDelay = TimeSpan.FromMilliseconds(500);

    [Test]
    public async Task The_client_reassembles_the_exact_text_across_20_forced_drops_while_the_producer_streams()
    {
        const int Drops = 20;
        await using EndpointApp app = await EndpointApp.StartAsync(http =>
        {
            http.MaxConnectionDuration = MaxConnectionDuration;
            http.ReconnectionDelay = ReconnectionDelay;
        });
        using HttpClient http = app.CreateHttpClient();
        var clientTime = new TimerSignalingTimeProvider();
        var client = new ChatStreamingClient(http, new ChatStreamingClientOptions { TimeProvider = clientTime });
        IChatStreamingStore store = app.Store;

        // Text that would break a naive framing: line breaks of every kind, NUL, field names, non-BMP characters.
        string[] pieces = ["Hel", "lo\r", "\n", "wor\rld", "\r\n", "\0", "data: x", "\nid: 7\n\n", "😀", "🙂 ok", "é", "\u2028"];
        var producerText = new StringBuilder();
        int piece = 0;
        long Publish(int count)
        {
            long last = 0;
            for (int i = 0; i < count; i++, piece++)
            {
                string text = $"{pieces[piece % pieces.Length]}[{piece}]";
                producerText.Append(text);
                last = store.Publish(ChatStreamingEvent.Delta("c1", text)).Sequence;
            }

            return last;
        }

        long lastSequence = store.Publish(ChatStreamingEvent.Started("c1")).Sequence;
        var received = Channel.CreateUnbounded<ChatStreamingEvent>();
        var consumed = new List<ChatStreamingEvent>();
        Task consumer = Task.Run(async () =>
        {
            await foreach (ChatStreamingEvent e in client.StreamAsync(EndpointApp.EventsPath("c1"), cancellationToken: TestGuard.Token))
            {
                consumed.Add(e);
                received.Writer.TryWrite(e);
                if (e.IsTerminal)
                {
                    break;
                }
            }
        });

        async Task ReceiveThroughAsync(long sequence)
        {
            while ((await received.Reader.ReadAsync(TestGuard.Token)).Sequence < sequence)
            {
            }
        }

        lastSequence = Publish(3);
        for (int drop = 0; drop < Drops; drop++)
        {
            await ReceiveThroughAsync(lastSequence);

            // The server ends the stream; the client waits the server's retry: before it resumes. Meanwhile the producer goes on.
            app.Time.Advance(MaxConnectionDuration);
            Assert.That(await clientTime.NextTimerAsync(), Is.EqualTo(ReconnectionDelay), "the client waits the endpoint's retry:");
            lastSequence = Publish(4);
            clientTime.Advance(ReconnectionDelay);

            lastSequence = Publish(3);
        }

        store.Publish(ChatStreamingEvent.Finished("c1", new TokenUsage(5, piece)));
        await consumer.Guarded();

        string[] lastEventIds = [.. app.LastEventIds];
        Assert.Multiple(() =>
        {
            Assert.That(string.Concat(consumed.Select(e => e.Text)), Is.EqualTo(producerText.ToString()), "the exact text");
            Assert.That(consumed.Select(e => e.Sequence), Is.EqualTo(Enumerable.Range(1, consumed.Count).Select(i => (long)i)), "each event once, in order");
            Assert.That(consumed[^1].Usage, Is.EqualTo(new TokenUsage(5, piece)));
            Assert.That(lastEventIds, Has.Length.EqualTo(Drops + 1), "one connection per drop, plus the first");
            Assert.That(lastEventIds[0], Is.Empty);
            Assert.That(lastEventIds.Skip(1), Has.All.Not.Empty, "every reconnection resumed with Last-Event-ID");
            Assert.That(consumed.Select(e => e.Epoch).Distinct(), Has.Exactly(1).Items);
        });
    }

    [Test]
    public async Task A_position_from_a_previous_process_is_SequenceNotRetained_never_events()
    {
        ChatStreamPosition oldPosition;
        await using (EndpointApp first = await EndpointApp.StartAsync())
        {
            using HttpClient http = first.CreateHttpClient();
            first.Store.Publish(ChatStreamingEvent.Started("c1"));
            first.Store.Publish(ChatStreamingEvent.Delta("c1", "old"));
            await using IAsyncEnumerator<ChatStreamingEvent> events = new ChatStreamingClient(http).StreamAsync(EndpointApp.EventsPath("c1")).GetAsyncEnumerator();
            Assert.That(await events.MoveNextAsync().Guarded() && await events.MoveNextAsync().Guarded(), Is.True);
            oldPosition = events.Current.Position;
        }

        // A new process: a new store with a longer response in the same conversation.
        await using EndpointApp second = await EndpointApp.StartAsync();
        second.Store.Publish(ChatStreamingEvent.Started("c1"));
        for (int i = 0; i < 10; i++)
        {
            second.Store.Publish(ChatStreamingEvent.Delta("c1", "new"));
        }

        using HttpClient secondHttp = second.CreateHttpClient();
        var received = new List<ChatStreamingEvent>();
        ChatStreamingException error = (await Assert.ThrowsAsync<ChatStreamingException>(async () =>
        {
            await foreach (ChatStreamingEvent e in new ChatStreamingClient(secondHttp).StreamAsync(EndpointApp.EventsPath("c1"), oldPosition, TestGuard.Token))
            {
                received.Add(e);
            }
        }))!;
        Assert.Multiple(() =>
        {
            Assert.That(error.Error, Is.EqualTo(ChatStreamingError.SequenceNotRetained));
            Assert.That(error.Message, Does.Contain(oldPosition.ToString()));
            Assert.That(received, Is.Empty);
        });
    }

    [Test]
    public async Task Too_many_subscribers_is_TooManySubscribers()
    {
        await using EndpointApp app = await EndpointApp.StartAsync(store: o => o.MaxSubscribersPerConversation = 1);
        using HttpClient http = app.CreateHttpClient();
        var client = new ChatStreamingClient(http);
        app.Store.Publish(ChatStreamingEvent.Started("c1"));
        await using IAsyncEnumerator<ChatStreamingEvent> first = client.StreamAsync(EndpointApp.EventsPath("c1")).GetAsyncEnumerator();
        Assert.That(await first.MoveNextAsync().Guarded(), Is.True);

        ChatStreamingException error = (await Assert.ThrowsAsync<ChatStreamingException>(async () =>
        {
            await foreach (ChatStreamingEvent e in client.StreamAsync(EndpointApp.EventsPath("c1"), cancellationToken: TestGuard.Token))
            {
            }
        }))!;
        Assert.That(error.Error, Is.EqualTo(ChatStreamingError.TooManySubscribers));
    }

    [Test]
    public async Task An_invalid_conversation_id_is_a_400_with_the_endpoints_detail()
    {
        await using EndpointApp app = await EndpointApp.StartAsync();
        using HttpClient http = app.CreateHttpClient();

        HttpRequestException error = (await Assert.ThrowsAsync<HttpRequestException>(async () =>
        {
            await foreach (ChatStreamingEvent e in new ChatStreamingClient(http).StreamAsync(EndpointApp.EventsPath(new string('x', 257)), cancellationToken: TestGuard.Token))
            {
            }
        }))!;
        Assert.Multiple(() =>
        {
            Assert.That(error.StatusCode, Is.EqualTo(HttpStatusCode.BadRequest));
            Assert.That(error.Message, Does.Contain("256"), "the problem's detail");
        });
    }
}
