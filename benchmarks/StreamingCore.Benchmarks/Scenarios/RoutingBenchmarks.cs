using System.Reactive.Linq;
using System.Reactive.Subjects;
using BenchmarkDotNet.Attributes;
using StreamingCore.Benchmarks.Infrastructure;

namespace StreamingCore.Benchmarks.Scenarios;

/// <summary>
/// Goal 3: per-event cost with 1, 100 and 10,000 concurrent conversations (one subscriber each): the store
/// routes by conversation; the naive pattern is one Subject with every subscriber filtering every event.
/// </summary>
[MemoryDiagnoser]
public class RoutingBenchmarks
{
    private const int Events = 10_000;

    private Subject<ChatStreamingEvent> _subject = null!;
    private IDisposable[] _filters = null!;
    private ChatStreamingEvent[] _deltas = null!;
    private StoreDriver _store = null!;
    private long _received;

    [Params(1, 100, 10_000)]
    public int Conversations { get; set; }

    [GlobalSetup]
    public void Setup()
    {
        _subject = new Subject<ChatStreamingEvent>();
        _deltas = Enumerable.Range(0, Conversations).Select(i => Tokens.DeltaFor($"conversation-{i}")).ToArray();
        _filters = _deltas.Select(d => d.ConversationId)
            .Select(id => _subject.Where(e => e.ConversationId == id).Subscribe(e => _received += e.Sequence + 1))
            .ToArray();
        _store = new StoreDriver(Conversations, subscribersPerConversation: 1);
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        foreach (IDisposable filter in _filters)
        {
            filter.Dispose();
        }

        _store.Dispose();
    }

    [Benchmark(Baseline = true, OperationsPerInvoke = Events, Description = "Subject<T> + Where(id) per subscriber")]
    public long NaiveSubject()
    {
        for (int i = 0; i < Events; i++)
        {
            _subject.OnNext(_deltas[i % Conversations]);
        }

        return _received;
    }

    [Benchmark(OperationsPerInvoke = Events, Description = "StreamingCore Publish+receive")]
    public async Task<long> Store()
    {
        long sum = 0;
        for (int i = 0; i < Events; i++)
        {
            sum += await _store.PublishAndReceiveAsync(i % Conversations);
        }

        return sum;
    }
}
