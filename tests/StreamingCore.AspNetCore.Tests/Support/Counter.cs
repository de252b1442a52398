namespace StreamingCore.AspNetCore.Tests.Support;

/// <summary>A count that tests can await reaching a value: the explicit signal instead of a sleep or a poll.</summary>
internal sealed class Counter
{
    private readonly object _gate = new();
    private readonly List<(int Target, TaskCompletionSource Reached)> _waiters = [];
    private int _value;

    public int Value
    {
        get
        {
            lock (_gate)
            {
                return _value;
            }
        }
    }

    public void Increment()
    {
        List<TaskCompletionSource> reached = [];
        lock (_gate)
        {
            _value++;
            _waiters.RemoveAll(w =>
            {
                if (w.Target > _value)
                {
                    return false;
                }

                reached.Add(w.Reached);
                return true;
            });
        }

        reached.ForEach(r => r.TrySetResult());
    }

    /// <summary>Completes when the count is at least <paramref name="target"/>.</summary>
    public Task WaitForAsync(int target)
    {
        lock (_gate)
        {
            if (_value >= target)
            {
                return Task.CompletedTask;
            }

            var reached = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            _waiters.Add((target, reached));
            return reached.Task.Guarded();
        }
    }
}
