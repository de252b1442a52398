using Microsoft.Playwright;
using NUnit.Framework;
using StreamingCore.WebSample.Tests.Support;

namespace StreamingCore.WebSample.Tests.Browser;

/// <summary>
/// Makes <c>docs/images/web-sample.png</c>: the page in the middle of an answer that has already resumed twice.
/// Explicit: run it by name when the page changes
/// (<c>dotnet test tests/StreamingCore.WebSample.Tests --filter Name=The_docs_screenshot_shows_the_page_mid_stream</c>).
/// </summary>
[Explicit("Writes docs/images/web-sample.png")]
public class ScreenshotTests
{
    private static readonly TimeSpan MaxConnectionDuration = TimeSpan.FromSeconds(8);

    [Test]
    public async Task The_docs_screenshot_shows_the_page_mid_stream()
    {
        var time = new ConnectionTimeProvider(MaxConnectionDuration);
        await using SampleServer server = await SampleServer.StartAsync(time, new Dictionary<string, string>
        {
            ["ChatStreamingHttpOptions:MaxConnectionDuration"] = "00:00:08",
            ["ChatStreamingHttpOptions:ReconnectionDelay"] = "00:00:00.050",
            ["ChatStreamingHttpOptions:HeartbeatInterval"] = "01:00:00",
            ["WebSample:FirstTokenDelay"] = "00:00:01",
            ["WebSample:TokenDelay"] = "00:00:01",
        });
        using IPlaywright playwright = await Playwright.CreateAsync();
        await using IBrowser browser = await Chromium.LaunchAsync(playwright);
        IPage page = await browser.NewPageAsync(new BrowserNewPageOptions { ViewportSize = new ViewportSize { Width = 1200, Height = 760 } });
        page.SetDefaultTimeout(TestGuard.Milliseconds);
        await page.GotoAsync(server.Address.ToString());

        const string message = "How does the page resume after a dropped connection?";
        await page.FillAsync("#message", message);
        await page.ClickAsync("#send");
        await time.NextConnectionAsync();
        for (int cut = 0; cut < 2; cut++)
        {
            time.Advance(MaxConnectionDuration);
            await time.NextConnectionAsync();
        }

        time.Advance(TimeSpan.FromSeconds(5));
        int expected = string.Concat(FakeChatModel.TokensOf(message).Take(21)).Length;
        await page.WaitForFunctionAsync(
            "n => document.querySelector('.message.assistant .text').textContent.length >= n && document.getElementById('status').dataset.connections === '3'",
            expected);
        await page.FillAsync("#message", "Does a slow tab slow the model?");

        string path = Path.Combine(RepositoryRoot(), "docs", "images", "web-sample.png");
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        await page.ScreenshotAsync(new PageScreenshotOptions { Path = path });
        Assert.That(new FileInfo(path).Length, Is.GreaterThan(10_000), "a real picture");
    }

    private static string RepositoryRoot()
    {
        for (DirectoryInfo? dir = new(TestContext.CurrentContext.TestDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "StreamingCore.sln")))
            {
                return dir.FullName;
            }
        }

        throw new InvalidOperationException("StreamingCore.sln not found above the test directory.");
    }
}
