using System.Collections.Concurrent;
using Microsoft.Extensions.AI;

namespace StreamingCore.WebSample;

/// <summary>
/// Produces answers through the app's <see cref="IChatClient"/> pipeline (<c>UseChatStreaming</c> publishes them to the
/// store) and keeps each conversation's history in memory: the persona's system prompt, then every user message and every
/// answer that finished. One answer at a time per conversation.
/// </summary>
/// <remarks>
/// Disposed by the container before the store it depends on: by then <c>ApplicationStopping</c> has cancelled every answer,
/// and disposal waits until each has ended (the middleware publishes its <c>Failed("canceled")</c>), so none is left active.
/// </remarks>
public sealed class AnswerService(IChatStreamingStore store, IChatClient chatClient, IHostApplicationLifetime lifetime, ILogger<AnswerService> logger)
    : IAsyncDisposable
{
    // The conversations' histories and active answers, by conversation id (in memory: the sample forgets them on restart).
    private readonly ConcurrentDictionary<string, ConversationState> _conversations = new(StringComparer.Ordinal);

    /// <summary>
    /// Starts answering <paramref name="text"/> in <paramref name="conversationId"/> as <paramref name="persona"/>. When it
    /// returns, the answer's <c>Started</c> is published and <see cref="Answer.Started"/> names it.
    /// </summary>
    /// <exception cref="ChatStreamingException">The conversation already has an active answer (<see cref="ChatStreamingError.ResponseAlreadyStarted"/>), or a store limit.</exception>
    /// <exception cref="ArgumentException">The conversation id is invalid, or there is no such persona.</exception>
    /// <param name="conversationId">The conversation: 1 to 256 characters, no control characters.</param>
    /// <param name="text">The user's message.</param>
    /// <param name="persona">One of <see cref="Personas.Names"/>; <see langword="null"/> for <see cref="Personas.Default"/>.</param>
    /// <param name="cancellationToken">The caller's request: once it is canceled nothing starts; a started answer goes on without it.</param>
    public async Task<Answer> StartAsync(string conversationId, string text, string? persona, CancellationToken cancellationToken)
    {
        cancellationToken.ThrowIfCancellationRequested();
        if (!Personas.TryGetPrompt(persona, out string? systemPrompt))
        {
            throw new ArgumentException($"There is no persona '{persona}'; use one of: {string.Join(", ", Personas.Names)}.", nameof(persona));
        }

        ConversationState conversation = _conversations.GetOrAdd(conversationId, static _ => new ConversationState());
        var answer = new Answer(conversationId);
        List<ChatMessage> messages;
        var question = new ChatMessage(ChatRole.User, text);
        lock (conversation.Gate)
        {
            if (conversation.Active is not null)
            {
                throw new ChatStreamingException(ChatStreamingError.ResponseAlreadyStarted, conversationId, $"Conversation '{conversationId}' is still answering.");
            }

            conversation.Active = answer;
            messages = [new ChatMessage(ChatRole.System, systemPrompt), .. conversation.History, question];
        }

        // UseChatStreaming publishes Started in the first MoveNextAsync, before it calls the model, and refuses there when the
        // store has an active response. Nothing outside it in this pipeline awaits before calling it, so Started is published
        // by the time MoveNextAsync returns: the first one runs here, the rest of the answer in the background. (A middleware
        // that awaits first, e.g. a rate limiter, would need StartedPositionAsync to wait for the Started after the last answer.)
        CancellationToken stopping = lifetime.ApplicationStopping;
        IAsyncEnumerator<ChatResponseUpdate> updates = chatClient
            .GetStreamingResponseAsync(messages, new ChatOptions { ConversationId = conversationId }, stopping)
            .GetAsyncEnumerator(stopping);
        ValueTask<bool> first = updates.MoveNextAsync();
        if (first.IsCompleted && !first.IsCompletedSuccessfully)
        {
            // Refused before Started (an active response, an invalid id) or canceled (the app is stopping): no answer began.
            try
            {
                await first;
            }
            finally
            {
                await updates.DisposeAsync();
                conversation.End(answer, response: null);
            }
        }

        // Refused answers leave no trace in the history; this one is on its way.
        conversation.Begin(answer, question);

        // The answer goes on without the caller if it leaves now; ProduceAsync never faults.
        _ = ProduceAsync(conversation, answer, updates, first);
        // Not the caller's token: the answer must become resumable even if the caller has just left.
        answer.Locate(await StartedPositionAsync(conversationId, stopping));
        return answer;
    }

    /// <summary>
    /// The conversation's active answer, with its <see cref="Answer.Started"/> position; <see langword="null"/> when it has
    /// none. An answer whose <c>Started</c> is being published or located is waited for (it is active in the store already),
    /// never a next one: an answer refused or ended meanwhile gives <see langword="null"/>.
    /// </summary>
    /// <param name="conversationId">The conversation.</param>
    /// <param name="cancellationToken">Stops the wait.</param>
    public async Task<Answer?> ActiveAsync(string conversationId, CancellationToken cancellationToken)
    {
        if (!_conversations.TryGetValue(conversationId, out ConversationState? conversation))
        {
            return null;
        }

        Answer? answer = conversation.Current();
        if (answer is null || !await answer.Located.WaitAsync(cancellationToken))
        {
            return null;
        }

        // Ended since it was located: its [DONE] may be written, so it is no longer served.
        return ReferenceEquals(conversation.Current(), answer) ? answer : null;
    }

    /// <summary>A copy of the conversation's history (user messages and finished answers; the system prompt is per call).</summary>
    public IReadOnlyList<ChatMessage> History(string conversationId)
    {
        if (!_conversations.TryGetValue(conversationId, out ConversationState? conversation))
        {
            return [];
        }

        lock (conversation.Gate)
        {
            return [.. conversation.History];
        }
    }

    /// <summary>Waits for the answers still running (cancelled by then) to end.</summary>
    public async ValueTask DisposeAsync() => await Task.WhenAll(_conversations.Values.Select(c => c.Active?.Completion ?? Task.CompletedTask));

    private async Task<ChatStreamPosition> StartedPositionAsync(string conversationId, CancellationToken cancellationToken)
    {
        // Started is published and this conversation takes no other answer until this one is saved, so its current response
        // (the active one, or the most recent retained one if it already ended) begins with this answer's Started.
        await using IAsyncEnumerator<ChatStreamingEvent> events = store.SubscribeAsync(conversationId, 0, cancellationToken).GetAsyncEnumerator(cancellationToken);
        if (!await events.MoveNextAsync() || events.Current.Kind != ChatStreamingEventKind.Started)
        {
            throw new InvalidOperationException($"The answer in conversation '{conversationId}' did not begin with Started.");
        }

        return events.Current.Position;
    }

    private async Task ProduceAsync(ConversationState conversation, Answer answer, IAsyncEnumerator<ChatResponseUpdate> updates, ValueTask<bool> first)
    {
        var received = new List<ChatResponseUpdate>();
        ChatResponse? response = null;
        try
        {
            for (bool more = await first; more; more = await updates.MoveNextAsync())
            {
                received.Add(updates.Current);
            }

            response = received.ToChatResponse();
        }
        catch (OperationCanceledException) when (lifetime.ApplicationStopping.IsCancellationRequested)
        {
            // The app is stopping; the middleware published Failed("canceled").
        }
        catch (Exception ex)
        {
            // The middleware published Failed with the exception's type and message.
            logger.LogError(ex, "The answer in conversation {ConversationId} failed.", answer.ConversationId);
        }
        finally
        {
            await updates.DisposeAsync();
            conversation.End(answer, response);
        }
    }

    /// <summary>One conversation: its history and its active answer, guarded by the instance's lock.</summary>
    private sealed class ConversationState
    {
        // Guards every member.
        public Lock Gate { get; } = new();

        // The user messages and the answers that finished, in order.
        public List<ChatMessage> History { get; } = [];

        // The answer being produced; set before the pipeline is called, so a second message is refused at once.
        public Answer? Active { get; set; }

        public void Begin(Answer answer, ChatMessage question)
        {
            lock (Gate)
            {
                if (ReferenceEquals(Active, answer))
                {
                    History.Add(question);
                }
            }
        }

        public Answer? Current()
        {
            lock (Gate)
            {
                return Active;
            }
        }

        public void End(Answer answer, ChatResponse? response)
        {
            lock (Gate)
            {
                if (response is not null)
                {
                    History.AddMessages(response);
                }

                if (ReferenceEquals(Active, answer))
                {
                    Active = null;
                }
            }

            answer.Complete(response?.FinishReason);
        }
    }
}
