using System.Runtime.CompilerServices;
using Microsoft.Extensions.AI;
using Microsoft.Extensions.Logging;

namespace StreamingCore.AI.Publishing;

/// <summary>
/// The one engine behind <see cref="ChatStreamingChatClient"/> and <see cref="ChatStreamingStoreExtensions"/>: publishes one
/// Microsoft.Extensions.AI call as one StreamingCore response and owns its failure rules. An instance is one response's
/// state; it is used by one call at a time, so it needs no lock.
/// </summary>
internal sealed class ResponsePublisher
{
    /// <summary>The <see cref="ChatStreamingEvent.Failed"/> error of a response whose caller canceled or stopped early.</summary>
    internal const string CanceledError = "canceled";

    // Where the response is published.
    private readonly IChatStreamingStore _store;

    // The conversation the response belongs to.
    private readonly string _conversationId;

    // Receives the count of contents that publish no delta, and store refusals that are swallowed.
    private readonly ILogger _logger;

    // True once Finished or Failed was published (or refused because the store had already ended the response, or the
    // conversation has another response since).
    private bool _ended;

    // Where the last event of this response was stamped (null epoch: a store that stamps nothing, so nothing is checked).
    private string? _epoch;
    private long _sequence;

    // Token counts summed over every UsageContent (as ToChatResponse sums them), or taken from ChatResponse.Usage.
    private long _inputTokens;
    private long _outputTokens;
    private bool _hasUsage;

    // Contents that publish no delta, by kind, for the Debug log when the response ends.
    private int _reasoningContents;
    private int _toolContents;
    private int _dataContents;
    private int _otherContents;

    private ResponsePublisher(IChatStreamingStore store, string conversationId, ILogger logger)
    {
        _store = store;
        _conversationId = conversationId;
        _logger = logger;
    }

    /// <summary>
    /// Publishes a streaming call: Started before <paramref name="source"/> is called, a Delta per update with text, then
    /// Finished or Failed. Each update is yielded to the caller as it is, before the next one is requested.
    /// </summary>
    public static async IAsyncEnumerable<ChatResponseUpdate> PublishStreamingAsync<TState>(
        IChatStreamingStore store,
        string conversationId,
        TState state,
        Func<TState, CancellationToken, IAsyncEnumerable<ChatResponseUpdate>> source,
        ILogger logger,
        [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        cancellationToken.ThrowIfCancellationRequested();

        // The store refuses a second Started here (ResponseAlreadyStarted) before the provider is called: no tokens are spent,
        // and the response that is already active is not touched, because this publisher never started one.
        ResponsePublisher publisher = Start(store, conversationId, logger);
        IAsyncEnumerator<ChatResponseUpdate>? updates = null;

        // True while an exception is on its way to the caller: disposing the provider's stream must not replace it.
        bool failing = false;
        try
        {
            while (true)
            {
                ChatResponseUpdate update;
                try
                {
                    // A provider that ignores the token must not keep a canceled response alive.
                    cancellationToken.ThrowIfCancellationRequested();
                    updates ??= source(state, cancellationToken).GetAsyncEnumerator(cancellationToken);
                    if (!await updates.MoveNextAsync().ConfigureAwait(false))
                    {
                        break;
                    }

                    update = updates.Current;
                    publisher.Observe(update);
                }
                catch (Exception exception)
                {
                    failing = true;
                    publisher.Fail(exception, cancellationToken);
                    throw;
                }

                yield return update;
            }

            failing = true;
            publisher.Finish();
            failing = false;
        }
        finally
        {
            // Still active here only when the caller disposed the enumerator early: end the response before disposing the
            // provider's stream, so subscribers learn it at once, whatever that disposal costs.
            publisher.Cancel();
            if (updates is not null)
            {
                if (failing)
                {
                    try
                    {
                        await updates.DisposeAsync().ConfigureAwait(false);
                    }
                    catch (Exception exception)
                    {
                        // The caller gets the exception the provider (or the store) threw, the one Failed names.
                        Log.StreamDisposeFailed(logger, conversationId, exception);
                    }
                }
                else
                {
                    await updates.DisposeAsync().ConfigureAwait(false);
                }
            }
        }
    }

    /// <summary>
    /// Publishes a non-streaming call: Started before <paramref name="call"/>, one Delta with the response's text (none when
    /// it has no text), then Finished with <see cref="ChatResponse.Usage"/>, or Failed.
    /// </summary>
    public static async Task<ChatResponse> PublishAsync<TState>(
        IChatStreamingStore store,
        string conversationId,
        TState state,
        Func<TState, CancellationToken, Task<ChatResponse>> call,
        ILogger logger,
        CancellationToken cancellationToken)
    {
        cancellationToken.ThrowIfCancellationRequested();
        ResponsePublisher publisher = Start(store, conversationId, logger);
        try
        {
            ChatResponse response = await call(state, cancellationToken).ConfigureAwait(false);
            publisher.Observe(response);
            publisher.Finish();
            return response;
        }
        catch (Exception exception)
        {
            publisher.Fail(exception, cancellationToken);
            throw;
        }
    }

    /// <summary>The <see cref="ChatStreamingEvent.Failed"/> error for an exception: its type name and message, nothing more.</summary>
    internal static string ErrorFor(Exception exception) => $"{exception.GetType().Name}: {exception.Message}";

    private static ResponsePublisher Start(IChatStreamingStore store, string conversationId, ILogger logger)
    {
        ChatStreamingEvent started = store.Publish(ChatStreamingEvent.Started(conversationId));
        return new ResponsePublisher(store, conversationId, logger) { _epoch = started.Epoch, _sequence = started.Sequence };
    }

    /// <summary>
    /// Checks that an event this call published followed its previous one. The store numbers a conversation's events one by
    /// one, and nobody else publishes into an active response, so a gap means the store ended this response (its idle
    /// timeout) and another one began: the event went into that one. The store cannot tell responses apart, so that event
    /// cannot be refused; the call stops there, and publishes nothing more, above all no Finished or Failed that would end
    /// the other producer's response.
    /// </summary>
    private void CheckFollows(ChatStreamingEvent published)
    {
        if (_epoch is null || published.Epoch is null)
        {
            return;
        }

        if (!string.Equals(published.Epoch, _epoch, StringComparison.Ordinal) || published.Sequence != _sequence + 1)
        {
            _ended = true;
            throw new ChatStreamingException(
                ChatStreamingError.ResponseNotStarted,
                _conversationId,
                $"The response of conversation '{_conversationId}' was ended by the store (for example its idle timeout) and another " +
                "response has begun since; this call publishes nothing more.");
        }

        _sequence = published.Sequence;
    }

    private void Observe(ChatResponseUpdate update)
    {
        // Text is the concatenation of the update's TextContents, so a Delta carries exactly the text ToChatResponse keeps.
        string text = update.Text;
        if (text.Length > 0)
        {
            PublishDelta(text);
        }

        Count(update.Contents, usageFromContents: true);
    }

    private void Observe(ChatResponse response)
    {
        string text = response.Text;
        if (text.Length > 0)
        {
            PublishDelta(text);
        }

        IList<ChatMessage> messages = response.Messages;
        for (int i = 0; i < messages.Count; i++)
        {
            // The usage of a non-streaming call is ChatResponse.Usage only: a UsageContent a provider left in a message is not
            // added to it (ToChatResponse has already moved the stream's into Usage), nor made into usage when Usage is null.
            Count(messages[i].Contents, usageFromContents: false);
        }

        if (response.Usage is { } usage)
        {
            AddUsage(usage);
        }
    }

    private void PublishDelta(string text)
    {
        ChatStreamingEvent published;
        try
        {
            published = _store.Publish(ChatStreamingEvent.Delta(_conversationId, text));
        }
        catch (Exception exception)
        {
            // A store rule (ResponseTooLong, or the response already ended by the idle timeout) stops the call, so no more
            // tokens are spent on text nobody can receive; the response does not stay active.
            End(ChatStreamingEvent.Failed(_conversationId, ErrorFor(exception)));
            throw;
        }

        CheckFollows(published);
    }

    private void Count(IList<AIContent> contents, bool usageFromContents)
    {
        for (int i = 0; i < contents.Count; i++)
        {
            switch (contents[i])
            {
                case TextContent:
                    break;
                case UsageContent usage:
                    if (usageFromContents)
                    {
                        AddUsage(usage.Details);
                    }

                    break;
                case TextReasoningContent:
                    _reasoningContents++;
                    break;
                case FunctionCallContent or FunctionResultContent:
                    _toolContents++;
                    break;
                case DataContent or UriContent:
                    _dataContents++;
                    break;
                default:
                    _otherContents++;
                    break;
            }
        }
    }

    private void AddUsage(UsageDetails usage)
    {
        _hasUsage = true;
        _inputTokens += usage.InputTokenCount ?? 0;
        _outputTokens += usage.OutputTokenCount ?? 0;
    }

    private void Finish()
    {
        TokenUsage? usage = _hasUsage ? new TokenUsage(Saturate(_inputTokens), Saturate(_outputTokens)) : null;
        try
        {
            _store.Publish(ChatStreamingEvent.Finished(_conversationId, usage));
        }
        catch (Exception exception)
        {
            End(ChatStreamingEvent.Failed(_conversationId, ErrorFor(exception)));
            throw;
        }

        _ended = true;
        LogUnpublishedContents();
    }

    private void Fail(Exception exception, CancellationToken cancellationToken)
    {
        // Only the caller's own cancellation is "canceled"; a provider's timeout surfacing as an OperationCanceledException
        // is a failure like any other and keeps its type and message.
        bool canceled = exception is OperationCanceledException && cancellationToken.IsCancellationRequested;
        End(ChatStreamingEvent.Failed(_conversationId, canceled ? CanceledError : ErrorFor(exception)));
    }

    private void Cancel() => End(ChatStreamingEvent.Failed(_conversationId, CanceledError));

    private void End(ChatStreamingEvent failed)
    {
        if (_ended)
        {
            return;
        }

        _ended = true;
        try
        {
            _store.Publish(failed);
        }
        catch (ChatStreamingException exception) when (exception.Error == ChatStreamingError.ResponseNotStarted)
        {
            // The store ended the response first (idle timeout, or its Dispose): it is not active, which is all End ensures.
            Log.ResponseAlreadyEnded(_logger, _conversationId, exception.Message);
        }
        catch (ObjectDisposedException exception)
        {
            Log.ResponseAlreadyEnded(_logger, _conversationId, exception.Message);
        }

        LogUnpublishedContents();
    }

    private void LogUnpublishedContents()
    {
        if ((_reasoningContents | _toolContents | _dataContents | _otherContents) != 0)
        {
            Log.ContentsWithoutDelta(_logger, _conversationId, _reasoningContents, _toolContents, _dataContents, _otherContents);
        }
    }

    private static int Saturate(long tokens) => (int)Math.Clamp(tokens, 0, int.MaxValue);
}
