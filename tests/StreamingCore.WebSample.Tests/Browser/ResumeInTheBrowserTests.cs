using System.Globalization;
using Microsoft.Playwright;
using NUnit.Framework;
using StreamingCore.WebSample.Tests.Support;

namespace StreamingCore.WebSample.Tests.Browser;

/// <summary>
/// The sample page in a real browser: the server cuts its <c>EventSource</c> again and again in the middle of an answer
/// (<c>MaxConnectionDuration</c>), and the page still shows exactly the text the model sent.
/// </summary>
/// <remarks>
/// The sample's clock is a fake one: the test releases tokens and ends connections by advancing it, and waits on explicit
/// signals (a connection's duration timer starting, the page's state); only the browser's own reconnection delay (the
/// endpoint's <c>retry:</c>, 50 ms) is real time.
/// </remarks>
public class ResumeInTheBrowserTests
{
    private const string Message = "How does the page resume after a dropped connection?";

    private static readonly TimeSpan MaxConnectionDuration = TimeSpan.FromSeconds(8);
    private static readonly TimeSpan TokenDelay = TimeSpan.FromSeconds(1);

    // Tokens are due one per second of the fake clock, so each cut falls after eight of them.
    private static readonly Dictionary<string, string> Settings = new()
    {
        ["ChatStreamingHttpOptions:MaxConnectionDuration"] = Format(MaxConnectionDuration),
        ["ChatStreamingHttpOptions:ReconnectionDelay"] = "00:00:00.050",
        ["ChatStreamingHttpOptions:HeartbeatInterval"] = "01:00:00",
        ["WebSample:FirstTokenDelay"] = Format(TokenDelay),
        ["WebSample:TokenDelay"] = Format(TokenDelay),
    };

    [Test]
    public async Task The_page_shows_the_exact_answer_although_the_server_cut_its_EventSource_many_times()
    {
        var time = new ConnectionTimeProvider(MaxConnectionDuration);
        await using SampleServer server = await SampleServer.StartAsync(time, Settings);
        using IPlaywright playwright = await Playwright.CreateAsync();
        await using IBrowser browser = await Chromium.LaunchAsync(playwright);
        IPage page = await browser.NewPageAsync();
        page.SetDefaultTimeout(TestGuard.Milliseconds);
        await page.GotoAsync(server.Address.ToString());

        await page.FillAsync("#message", Message);
        await page.ClickAsync("#send");
        await time.NextConnectionAsync();

        // Release eight tokens and end the connection, until every token is due; each cut falls mid-answer.
        int tokens = FakeChatModel.TokensOf(Message).Count;
        int rounds = (tokens + 7) / 8;
        for (int round = 1; round <= rounds; round++)
        {
            time.Advance(MaxConnectionDuration);
            if (round < rounds)
            {
                await time.NextConnectionAsync(); // the page's EventSource reconnected by itself (Last-Event-ID)
            }
        }

        await page.WaitForFunctionAsync("() => document.body.dataset.state !== 'streaming'");
        string shown = await page.Locator(".message.assistant .text").TextContentAsync() ?? string.Empty;
        int pageConnections = int.Parse(await page.Locator("#status").GetAttributeAsync("data-connections") ?? "0", CultureInfo.InvariantCulture);

        Assert.Multiple(async () =>
        {
            Assert.That(await page.EvaluateAsync<string>("() => document.body.dataset.state"), Is.EqualTo("done"));
            Assert.That(shown, Is.EqualTo(FakeChatModel.AnswerTo(Message)), "the text the model sent, character for character");
            Assert.That(rounds, Is.GreaterThanOrEqualTo(8), "the answer spans enough cuts");
            Assert.That(time.Connections - 1, Is.GreaterThanOrEqualTo(rounds - 1), "reconnections the server saw");
            Assert.That(pageConnections - 1, Is.GreaterThanOrEqualTo(rounds - 2), "reconnections the page saw (the last cut may come after the end)");
        });
    }

    [Test]
    public async Task Drop_connection_reopens_the_stream_with_lastEventId_and_the_text_stays_exact()
    {
        var time = new ConnectionTimeProvider(MaxConnectionDuration);
        await using SampleServer server = await SampleServer.StartAsync(time, new Dictionary<string, string>(Settings)
        {
            ["ChatStreamingHttpOptions:MaxConnectionDuration"] = "01:00:00", // only the button drops connections here
        });
        using IPlaywright playwright = await Playwright.CreateAsync();
        await using IBrowser browser = await Chromium.LaunchAsync(playwright);
        IPage page = await browser.NewPageAsync();
        page.SetDefaultTimeout(TestGuard.Milliseconds);
        await page.GotoAsync(server.Address.ToString());
        await page.FillAsync("#message", Message);
        await page.ClickAsync("#send");
        await page.WaitForFunctionAsync("() => document.getElementById('status').dataset.connections === '1'");

        IReadOnlyList<string> tokens = FakeChatModel.TokensOf(Message);
        int released = 0;
        for (int drop = 1; drop <= 3; drop++)
        {
            time.Advance(TokenDelay * 5); // five tokens while connected
            released += 5;
            await WaitForTextAsync(page, string.Concat(tokens.Take(released)));
            await page.ClickAsync("#drop");
            time.Advance(TokenDelay * 3); // three more while the page is disconnected
            released += 3;
            await page.WaitForFunctionAsync($"() => document.getElementById('status').dataset.connections === '{drop + 1}'");
            await WaitForTextAsync(page, string.Concat(tokens.Take(released)));
        }

        time.Advance(TokenDelay * tokens.Count);
        await page.WaitForFunctionAsync("() => document.body.dataset.state !== 'streaming'");
        Assert.That(await page.Locator(".message.assistant .text").TextContentAsync(), Is.EqualTo(FakeChatModel.AnswerTo(Message)));
    }

    private static async Task WaitForTextAsync(IPage page, string prefix)
        => await page.WaitForFunctionAsync("p => document.querySelector('.message.assistant .text').textContent.length >= p.length", prefix);

    private static string Format(TimeSpan value) => value.ToString("c", CultureInfo.InvariantCulture);
}
