using Microsoft.Extensions.AI;

namespace StreamingCore.WebSample;

/// <summary>One answer being produced in a conversation: where it starts in the store, and when it is done.</summary>
public sealed class Answer
{
    // Completes when the producer has saved the answer to the history and freed the conversation; never faults.
    private readonly TaskCompletionSource _completion = new(TaskCreationOptions.RunContinuationsAsynchronously);

    // Completes with true once Started is known, with false when the answer ended first (refused, or over before it was
    // located); never faults.
    private readonly TaskCompletionSource<bool> _located = new(TaskCreationOptions.RunContinuationsAsynchronously);

    internal Answer(string conversationId) => ConversationId = conversationId;

    /// <summary>Gets the conversation.</summary>
    public string ConversationId { get; }

    /// <summary>Gets the position of the answer's <c>Started</c> event: the answer's events are the ones after (epoch, sequence − 1).</summary>
    public ChatStreamPosition Started { get; private set; }

    /// <summary>Gets why the model stopped, once <see cref="Completion"/> has completed (<see langword="null"/> when it failed or did not say).</summary>
    public ChatFinishReason? FinishReason { get; private set; }

    /// <summary>Gets a task that completes (never faults) when the answer is saved to the history and the conversation can take the next message.</summary>
    public Task Completion => _completion.Task;

    /// <summary>Gets a task that completes with <see langword="true"/> once <see cref="Started"/> is known, with <see langword="false"/> when the answer ended first.</summary>
    internal Task<bool> Located => _located.Task;

    internal void Locate(ChatStreamPosition started)
    {
        Started = started;
        _located.TrySetResult(true);
    }

    internal void Complete(ChatFinishReason? finishReason)
    {
        FinishReason = finishReason;
        _located.TrySetResult(false);
        _completion.TrySetResult();
    }
}
