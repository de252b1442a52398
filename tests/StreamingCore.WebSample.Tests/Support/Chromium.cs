using Microsoft.Playwright;
using NUnit.Framework;

namespace StreamingCore.WebSample.Tests.Support;

/// <summary>Debian's headless Chromium through Playwright; never a downloaded browser.</summary>
internal static class Chromium
{
    public const string ExecutablePath = "/usr/bin/chromium";

    private static readonly string[] Arguments =
    [
        "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
        "--disable-background-networking", "--disable-component-update", "--disable-sync",
    ];

    /// <summary>Launches the browser; fails the test (never skips it) when Chromium is not installed.</summary>
    public static async Task<IBrowser> LaunchAsync(IPlaywright playwright)
    {
        if (!File.Exists(ExecutablePath))
        {
            Assert.Fail($"{ExecutablePath} is missing: install Debian's Chromium (apt-get install -y chromium), as .ci/run does.");
        }

        return await playwright.Chromium.LaunchAsync(new BrowserTypeLaunchOptions
        {
            ExecutablePath = ExecutablePath,
            Headless = true,
            Args = Arguments,
        });
    }
}
