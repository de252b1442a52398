using System.Diagnostics.Metrics;
using System.Runtime.CompilerServices;

namespace StreamingCore;

/// <summary>
/// The observable level instruments of one <see cref="Meter"/>: responses in progress and subscribers, read from every
/// live store that uses the meter when a listener collects. Levels are observed, not counted up and down, so a listener
/// that attaches mid-response reads the truth, and a store that is disposed stops counting at once.
/// </summary>
internal sealed class StreamingLevels
{
    // One instance per meter: two stores on one meter (the process-wide one, or one IMeterFactory's) share instruments.
    private static readonly ConditionalWeakTable<Meter, StreamingLevels> s_byMeter = [];

    // Guards _stores.
    private readonly object _gate = new();

    // The stores reporting on this meter; weak, so a store that is never disposed can still be collected.
    private readonly List<WeakReference<DefaultChatStreamingStore>> _stores = [];

    private StreamingLevels(Meter meter)
    {
        meter.CreateObservableUpDownCounter(StreamingCoreDiagnostics.ActiveResponses, () => Sum(static s => s.ActiveResponseCount), "{response}", "Responses in progress.");
        meter.CreateObservableUpDownCounter(StreamingCoreDiagnostics.Subscribers, () => Sum(static s => s.SubscriberCount), "{subscriber}", "Live subscriptions and Events observers.");
    }

    public static StreamingLevels For(Meter meter) => s_byMeter.GetValue(meter, static m => new StreamingLevels(m));

    public void Add(DefaultChatStreamingStore store)
    {
        lock (_gate)
        {
            _stores.Add(new WeakReference<DefaultChatStreamingStore>(store));
        }
    }

    public void Remove(DefaultChatStreamingStore store)
    {
        lock (_gate)
        {
            _stores.RemoveAll(r => !r.TryGetTarget(out DefaultChatStreamingStore? s) || s == store);
        }
    }

    private long Sum(Func<DefaultChatStreamingStore, int> level)
    {
        long total = 0;
        lock (_gate)
        {
            foreach (WeakReference<DefaultChatStreamingStore> reference in _stores)
            {
                if (reference.TryGetTarget(out DefaultChatStreamingStore? store))
                {
                    total += level(store);
                }
            }
        }

        return total;
    }
}
