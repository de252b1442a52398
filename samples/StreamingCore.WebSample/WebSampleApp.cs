using Microsoft.Extensions.AI;
using Microsoft.Extensions.DependencyInjection.Extensions;
using StreamingCore.AspNetCore;
using StreamingCore.WebSample.AISdk;

namespace StreamingCore.WebSample;

/// <summary>
/// The web sample: a page that sends a message and watches the answer stream in through <c>EventSource</c>, resuming
/// exactly after every dropped connection; and the AI SDK's routes (<see cref="ChatEndpoints"/>), so a React
/// <c>useChat</c> front end works unchanged. Answers come from an <see cref="IChatClient"/> pipeline with
/// <c>UseChatStreaming()</c>. <see cref="Create"/> builds it; <c>Program.cs</c> runs it, and the tests start it in-process
/// on a real port.
/// </summary>
public static class WebSampleApp
{
    /// <summary>Send a message: <c>POST {"text": "...", "persona": "calm_coach"}</c> → 202 and the answer starts.</summary>
    public const string MessagesRoute = "/api/conversations/{conversationId}/messages";

    /// <summary>The conversation's events as Server-Sent Events (<c>MapChatStreamingEvents</c>).</summary>
    public const string EventsRoute = "/api/conversations/{conversationId}/events";

    /// <summary>The conversation's events over a WebSocket (<c>MapChatStreamingWebSocket</c>), for clients that prefer one.</summary>
    public const string WebSocketRoute = "/api/conversations/{conversationId}/ws";

    /// <summary>
    /// Builds the app. Configuration (appsettings.json, environment, command line) sets the endpoints'
    /// <c>ChatStreamingHttpOptions</c> (e.g. <c>--ChatStreamingHttpOptions:MaxConnectionDuration=00:00:05</c> to see the
    /// server cut connections) and the fake model's pacing (<c>WebSample:TokenDelay</c>).
    /// </summary>
    /// <param name="args">Command-line arguments, as for <see cref="WebApplication.CreateBuilder(string[])"/>.</param>
    /// <param name="configure">Changes to the services before the app is built (tests register a <c>FakeTimeProvider</c>).</param>
    /// <returns>The app, not yet started.</returns>
    public static WebApplication Create(string[] args, Action<WebApplicationBuilder>? configure = null)
    {
        WebApplicationBuilder builder = WebApplication.CreateBuilder(args);
        builder.Services.TryAddSingleton(TimeProvider.System);
        builder.Services.AddChatStreaming();
        builder.Services.Configure<ChatStreamingHttpOptions>(builder.Configuration.GetSection(nameof(ChatStreamingHttpOptions)));
        builder.Services.Configure<WebSampleOptions>(builder.Configuration.GetSection(WebSampleOptions.Section));
        builder.Services.AddSingleton<FakeChatModel>();
        builder.Services.AddSingleton<FakeChatClient>();

        // The model: the fake by default (no network, no key). To use a real provider, return its IChatClient here; see the
        // sample's README. UseOpenTelemetry is outermost so the store's response activity nests under the chat activity.
        builder.Services.AddChatClient(services => services.GetRequiredService<FakeChatClient>())
            .UseOpenTelemetry()
            .UseChatStreaming();
        builder.Services.AddSingleton<AnswerService>();
        builder.Services.AddProblemDetails();
        configure?.Invoke(builder);

        WebApplication app = builder.Build();
        app.UseDefaultFiles();
        app.UseStaticFiles();
        app.UseWebSockets();
        app.MapPost(MessagesRoute, PostMessage);
        app.MapChatStreamingEvents(EventsRoute);
        app.MapChatStreamingWebSocket(WebSocketRoute);
        app.MapAISdkChat();
        return app;
    }

    /// <summary>Starts the answer to a message; 202 with where to read it, 409 while the conversation has an active answer.</summary>
    private static async Task<IResult> PostMessage(string conversationId, MessageRequest message, AnswerService answers, CancellationToken cancellationToken)
    {
        if (string.IsNullOrWhiteSpace(message.Text))
        {
            return TypedResults.Problem(detail: "The message has no text.", statusCode: StatusCodes.Status400BadRequest);
        }

        try
        {
            Answer answer = await answers.StartAsync(conversationId, message.Text, message.Persona, cancellationToken);
            string events = $"/api/conversations/{Uri.EscapeDataString(conversationId)}/events";
            return TypedResults.Accepted(events, new MessageAccepted(conversationId, answer.Started.ToString(), events));
        }
        catch (ChatStreamingException ex) when (ex.Error == ChatStreamingError.ResponseAlreadyStarted)
        {
            return TypedResults.Problem(detail: "This conversation is still answering; wait for the answer to finish.", statusCode: StatusCodes.Status409Conflict);
        }
        catch (ChatStreamingException ex)
        {
            return TypedResults.Problem(detail: ex.Message, statusCode: StatusCodes.Status503ServiceUnavailable);
        }
        catch (ArgumentException ex)
        {
            return TypedResults.Problem(detail: ex.Message, statusCode: StatusCodes.Status400BadRequest);
        }
    }
}
