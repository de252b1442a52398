using System.Collections.Concurrent;
using System.Runtime.CompilerServices;
using Microsoft.Extensions.AI;

namespace StreamingCore.AI.Tests.Support;

/// <summary>
/// A real <see cref="IChatClient"/> that plays a script: it yields the scripted updates of each call (or returns the scripted
/// response), can throw at step N or wait at step N until a <see cref="Gate"/> is released, and records every call, every
/// update requested and whether each stream was disposed.
/// </summary>
/// <remarks>Step N is the request for the N-th update (0-based); the step after the last update ends the stream.</remarks>
internal sealed class ScriptedChatClient : IChatClient
{
    private readonly Func<IEnumerable<ChatMessage>, IReadOnlyList<ChatResponseUpdate>> _script;
    private readonly ConcurrentDictionary<int, Gate> _gates = new();
    private readonly ConcurrentQueue<ScriptedCall> _calls = new();
    private int _throwAt = -1;
    private Exception? _exception;

    public ScriptedChatClient(params ChatResponseUpdate[] updates)
        : this(_ => updates)
    {
    }

    /// <summary>A script per call, for example from the call's last message.</summary>
    public ScriptedChatClient(Func<IEnumerable<ChatMessage>, IReadOnlyList<ChatResponseUpdate>> script) => _script = script;

    /// <summary>The response of a non-streaming call.</summary>
    public ChatResponse Response { get; init; } = new(new ChatMessage(ChatRole.Assistant, "scripted"));

    /// <summary>Every call so far, in order.</summary>
    public IReadOnlyList<ScriptedCall> Calls => _calls.ToArray();

    /// <summary>Throws <paramref name="exception"/> (the same object each time) at step <paramref name="step"/>.</summary>
    public ScriptedChatClient ThrowAt(int step, Exception exception)
    {
        _throwAt = step;
        _exception = exception;
        return this;
    }

    /// <summary>
    /// Waits at step <paramref name="step"/> of every call until the returned gate is released (or the call is canceled); the
    /// gate's <see cref="Gate.Reached"/> completes once <paramref name="arrivals"/> calls wait there.
    /// </summary>
    public Gate BlockAt(int step, int arrivals = 1) => _gates.GetOrAdd(step, _ => new Gate(arrivals));

    public async Task<ChatResponse> GetResponseAsync(IEnumerable<ChatMessage> messages, ChatOptions? options = null, CancellationToken cancellationToken = default)
    {
        var call = new ScriptedCall(messages.ToList(), options, Streaming: false);
        _calls.Enqueue(call);
        await StepAsync(call, 0, cancellationToken);
        return Response;
    }

    public IAsyncEnumerable<ChatResponseUpdate> GetStreamingResponseAsync(
        IEnumerable<ChatMessage> messages,
        ChatOptions? options = null,
        CancellationToken cancellationToken = default)
    {
        // Recorded at the call, not at the first MoveNextAsync: a provider may start its request eagerly.
        var call = new ScriptedCall(messages.ToList(), options, Streaming: true);
        _calls.Enqueue(call);
        return PlayAsync(call, cancellationToken);
    }

    public object? GetService(Type serviceType, object? serviceKey = null) => serviceKey is null && serviceType.IsInstanceOfType(this) ? this : null;

    public void Dispose()
    {
    }

    private async IAsyncEnumerable<ChatResponseUpdate> PlayAsync(ScriptedCall call, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        try
        {
            IReadOnlyList<ChatResponseUpdate> updates = _script(call.Messages);
            for (int step = 0; step <= updates.Count; step++)
            {
                await StepAsync(call, step, cancellationToken);
                if (step == updates.Count)
                {
                    yield break;
                }

                yield return updates[step];
            }
        }
        finally
        {
            call.Disposed = true;
        }
    }

    private async Task StepAsync(ScriptedCall call, int step, CancellationToken cancellationToken)
    {
        Interlocked.Increment(ref call.RequestCount);
        if (_gates.TryGetValue(step, out Gate? gate))
        {
            await gate.PassAsync(cancellationToken);
        }

        if (step == _throwAt)
        {
            throw _exception!;
        }
    }
}

/// <summary>One call the scripted client received.</summary>
internal sealed record ScriptedCall(IReadOnlyList<ChatMessage> Messages, ChatOptions? Options, bool Streaming)
{
    /// <summary>How many steps (update requests, plus the one that ends the stream) the caller asked for.</summary>
    public int RequestCount;

    /// <summary>Whether the stream's enumerator was disposed.</summary>
    public volatile bool Disposed;
}
