using System.Reactive.Subjects;
using System.Threading.Channels;
using BenchmarkDotNet.Attributes;
using StreamingCore.Benchmarks.Infrastructure;

namespace StreamingCore.Benchmarks.Scenarios;

/// <summary>Goal 1: publish → one subscriber, per event, against a raw Channel&lt;T&gt; and a Subject&lt;T&gt;.</summary>
[MemoryDiagnoser]
public class PublishSubscribeBenchmarks
{
    private const int Events = 10_000;

    private Channel<ChatStreamingEvent> _channel = null!;
    private Subject<ChatStreamingEvent> _subject = null!;
    private IDisposable _subjectSubscription = null!;
    private StoreDriver _store = null!;
    private ChatStreamingEvent _last;

    [GlobalSetup]
    public void Setup()
    {
        _channel = System.Threading.Channels.Channel.CreateUnbounded<ChatStreamingEvent>(new UnboundedChannelOptions { SingleReader = true, SingleWriter = true });
        _subject = new Subject<ChatStreamingEvent>();
        _subjectSubscription = _subject.Subscribe(e => _last = e);
        _store = new StoreDriver(conversations: 1, subscribersPerConversation: 1);
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        _subjectSubscription.Dispose();
        _store.Dispose();
    }

    [Benchmark(Baseline = true, OperationsPerInvoke = Events, Description = "Channel<T> write+read")]
    public async Task<ChatStreamingEvent> Channel()
    {
        ChannelWriter<ChatStreamingEvent> writer = _channel.Writer;
        ChannelReader<ChatStreamingEvent> reader = _channel.Reader;
        for (int i = 0; i < Events; i++)
        {
            writer.TryWrite(Tokens.Delta);
            _last = await reader.ReadAsync();
        }

        return _last;
    }

    [Benchmark(OperationsPerInvoke = Events, Description = "Subject<T> OnNext")]
    public ChatStreamingEvent Subject()
    {
        for (int i = 0; i < Events; i++)
        {
            _subject.OnNext(Tokens.Delta);
        }

        return _last;
    }

    [Benchmark(OperationsPerInvoke = Events, Description = "StreamingCore Publish+receive")]
    public async Task<long> Store()
    {
        long sum = 0;
        for (int i = 0; i < Events; i++)
        {
            sum += await _store.PublishAndReceiveAsync(0);
        }

        return sum;
    }
}
