using System.Diagnostics;
using System.Text;

namespace StreamingCore;

/// <summary>
/// Folds one conversation's events into the message text so far and whether it is still streaming: what a
/// chat view model binds to. A new <c>Started</c> begins a new message. Not thread-safe: apply events from
/// one consumer loop (or after <c>ObserveOn</c>).
/// </summary>
[DebuggerDisplay("{Text} (streaming: {IsStreaming})")]
public sealed class ChatMessageAccumulator
{
    // The text of the current message.
    private readonly StringBuilder _text = new();

    // _text as a string, made on first read after a change.
    private string? _textCache = string.Empty;

    /// <summary>Gets the conversation of the events applied so far; <see langword="null"/> before the first.</summary>
    public string? ConversationId { get; private set; }

    /// <summary>Gets the text of the current message so far.</summary>
    public string Text => _textCache ??= _text.ToString();

    /// <summary>Gets a value indicating whether the current message is streaming (started and not yet finished or failed).</summary>
    public bool IsStreaming { get; private set; }

    /// <summary>Gets the sequence of the last applied event (0 before the first): the value to resume after.</summary>
    public long LastSequence { get; private set; }

    /// <summary>Gets the usage reported by the current message's Finished event.</summary>
    public TokenUsage? Usage { get; private set; }

    /// <summary>Gets the error of the current message's Failed event.</summary>
    public string? Error { get; private set; }

    /// <summary>Applies one event.</summary>
    /// <param name="streamingEvent">The next event of the conversation.</param>
    /// <exception cref="ArgumentException">The event belongs to another conversation than those applied before.</exception>
    public void Apply(ChatStreamingEvent streamingEvent)
    {
        if (streamingEvent.ConversationId is null)
        {
            throw new ArgumentException("The event was not created by a ChatStreamingEvent factory.", nameof(streamingEvent));
        }

        if (ConversationId is not null && !string.Equals(ConversationId, streamingEvent.ConversationId, StringComparison.Ordinal))
        {
            throw new ArgumentException(
                $"This accumulator folds conversation '{ConversationId}'; the event belongs to '{streamingEvent.ConversationId}'.", nameof(streamingEvent));
        }

        ConversationId = streamingEvent.ConversationId;
        LastSequence = streamingEvent.Sequence;
        switch (streamingEvent.Kind)
        {
            case ChatStreamingEventKind.Started:
                _text.Clear();
                _textCache = string.Empty;
                IsStreaming = true;
                Usage = null;
                Error = null;
                break;
            case ChatStreamingEventKind.Delta:
                if (streamingEvent.Text!.Length > 0)
                {
                    _text.Append(streamingEvent.Text);
                    _textCache = null;
                }

                break;
            case ChatStreamingEventKind.Finished:
                IsStreaming = false;
                Usage = streamingEvent.Usage;
                break;
            case ChatStreamingEventKind.Failed:
                IsStreaming = false;
                Error = streamingEvent.Error;
                break;
        }
    }
}
