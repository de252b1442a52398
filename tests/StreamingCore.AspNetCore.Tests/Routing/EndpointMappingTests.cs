using System.Net;
using System.Security.Claims;
using System.Text.Encodings.Web;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Metadata;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using NUnit.Framework;
using StreamingCore.AspNetCore.Tests.ServerSentEvents;
using StreamingCore.AspNetCore.Tests.Support;

namespace StreamingCore.AspNetCore.Tests.Routing;

public class EndpointMappingTests
{
    [Test]
    public async Task RequireAuthorization_composes_an_anonymous_request_is_401_and_never_subscribes()
    {
        await using TestApp app = await TestApp.StartAsync(
            services: s =>
            {
                s.AddAuthentication("Never").AddScheme<AuthenticationSchemeOptions, NeverAuthenticated>("Never", null);
                s.AddAuthorization();
            },
            map: a => a.MapChatStreamingEvents(TestApp.EventsRoute).RequireAuthorization());

        using HttpResponseMessage response = await app.Client.GetAsync(TestApp.EventsPath("private"), TestGuard.Token);

        Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.Unauthorized));
        Assert.That(app.Store.Subscribed.Value, Is.Zero);
    }

    [Test]
    public async Task The_endpoint_describes_its_responses_to_OpenAPI()
    {
        await using TestApp app = await TestApp.StartAsync();
        Endpoint endpoint = app.Services.GetRequiredService<EndpointDataSource>().Endpoints.Single(e => e.DisplayName!.Contains("events", StringComparison.Ordinal));

        var produces = endpoint.Metadata.GetOrderedMetadata<IProducesResponseTypeMetadata>().ToDictionary(m => m.StatusCode, m => m.ContentTypes.Single());

        Assert.That(produces, Is.EquivalentTo(new Dictionary<int, string>
        {
            [200] = "text/event-stream",
            [400] = "application/problem+json",
            [410] = "application/problem+json",
            [429] = "application/problem+json",
        }));
        Assert.That(endpoint.Metadata.GetMetadata<IHttpMethodMetadata>()?.HttpMethods, Is.EqualTo(new[] { "GET" }));
    }

    [Test]
    public async Task An_own_endpoint_returns_ChatStreamingResults_Events_and_gets_the_same_resume()
    {
        await using TestApp app = await TestApp.StartAsync(map: a => a.MapGet("/me/{name}", (string name) => ChatStreamingResults.Events($"user-{name}")));
        ChatStreamingEvent started = app.Store.Publish(ChatStreamingEvent.Started("user-ada"));
        app.Store.Publish(ChatStreamingEvent.Delta("user-ada", "hello"));
        app.Store.Publish(ChatStreamingEvent.Finished("user-ada"));

        using SseStream stream = await SseStream.OpenAsync(app.Client, "/me/ada", started.Position.ToString());
        using HttpResponseMessage malformed = await app.Client.GetAsync("/me/ada?lastEventId=nope", TestGuard.Token);

        Assert.That((await stream.ReadThroughAsync("finished")).Select(e => e.Sequence), Is.EqualTo(new long[] { 2, 3 }));
        await SseBadInputTests.AssertProblemAsync(malformed, HttpStatusCode.BadRequest, "lastEventId");
    }

    [Test]
    public async Task Invalid_options_fail_when_the_endpoint_is_mapped_naming_every_invalid_setting()
    {
        var failure = await Assert.ThrowsAsync<OptionsValidationException>(() => TestApp.StartAsync(http: o =>
        {
            o.HeartbeatInterval = TimeSpan.Zero;
            o.ReconnectionDelay = TimeSpan.FromTicks(1);
            o.MaxConnectionDuration = TimeSpan.FromSeconds(-1);
        }));

        Assert.That(failure!.Message, Does.Contain("HeartbeatInterval").And.Contain("ReconnectionDelay").And.Contain("MaxConnectionDuration"));
    }

    [Test]
    public async Task A_pattern_without_conversationId_is_refused_when_mapped()
    {
        var failure = await Assert.ThrowsAsync<ArgumentException>(() => TestApp.StartAsync(map: a => a.MapChatStreamingEvents("/chat/{id}/events")));

        Assert.That(failure!.Message, Does.Contain("{conversationId}"));
    }

    [Test]
    public void Mapping_without_a_store_says_to_call_AddChatStreaming()
    {
        var builder = WebApplication.CreateSlimBuilder();
        using WebApplication app = builder.Build();

        var failure = Assert.Throws<InvalidOperationException>(() => app.MapChatStreamingEvents(TestApp.EventsRoute));

        Assert.That(failure!.Message, Does.Contain("AddChatStreaming"));
    }

    private sealed class NeverAuthenticated(IOptionsMonitor<AuthenticationSchemeOptions> options, ILoggerFactory logger, UrlEncoder encoder)
        : AuthenticationHandler<AuthenticationSchemeOptions>(options, logger, encoder)
    {
        protected override Task<AuthenticateResult> HandleAuthenticateAsync() => Task.FromResult(AuthenticateResult.NoResult());
    }
}
