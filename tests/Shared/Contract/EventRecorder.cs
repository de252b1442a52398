namespace StreamingCore.Testing.Contract;

/// <summary>An Events observer that collects events until a given number of terminal events arrived.</summary>
internal sealed class EventRecorder(int terminalsExpected) : IObserver<ChatStreamingEvent>
{
    private int _terminals;

    public List<ChatStreamingEvent> Events { get; } = [];

    public TaskCompletionSource Done { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public void OnNext(ChatStreamingEvent value)
    {
        Events.Add(value);
        if (value.IsTerminal && ++_terminals == terminalsExpected)
        {
            Done.TrySetResult();
        }
    }

    public void OnError(Exception error) => Done.TrySetException(error);

    public void OnCompleted() => Done.TrySetResult();
}
