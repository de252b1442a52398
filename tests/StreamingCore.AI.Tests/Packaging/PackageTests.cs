using System.Diagnostics;
using System.IO.Compression;
using System.Xml.Linq;
using NUnit.Framework;
using StreamingCore.AI.Tests.Support;

namespace StreamingCore.AI.Tests.Packaging;

/// <summary>
/// Checks what <c>dotnet pack -c Release</c> produces for StreamingCore.AI. Looks for the package under
/// STREAMINGCORE_PACKAGE_DIR (subfolders included) when .ci/run has packed already; otherwise packs it into a temporary folder.
/// </summary>
public class PackageTests
{
    private static readonly string[] TargetFrameworks = ["net8.0", "net10.0"];

    private string _packageDirectory = null!;
    private bool _ownsDirectory;

    [OneTimeSetUp]
    public async Task Pack()
    {
        string? given = Environment.GetEnvironmentVariable("STREAMINGCORE_PACKAGE_DIR");
        if (!string.IsNullOrEmpty(given))
        {
            _packageDirectory = given;
            return;
        }

        _packageDirectory = Directory.CreateTempSubdirectory("streamingcore-ai-pack-").FullName;
        _ownsDirectory = true;
        string project = Path.Combine(Repository.Root, "src", "StreamingCore.AI", "StreamingCore.AI.csproj");
        using var pack = Process.Start(new ProcessStartInfo("dotnet", ["pack", project, "-c", "Release", "-o", _packageDirectory])
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        })!;
        Task<string> output = pack.StandardOutput.ReadToEndAsync();
        Task<string> errors = pack.StandardError.ReadToEndAsync();
        await pack.WaitForExitAsync(TestGuard.Token);
        Assert.That(pack.ExitCode, Is.Zero, $"dotnet pack failed:\n{await output}\n{await errors}");
    }

    [OneTimeTearDown]
    public void CleanUp()
    {
        if (_ownsDirectory)
        {
            Directory.Delete(_packageDirectory, recursive: true);
        }
    }

    private string Single(string extension)
    {
        // "StreamingCore.AI.<version>.<extension>": a version starts with a digit, which also keeps other packages out.
        string[] files = Directory.GetFiles(_packageDirectory, $"StreamingCore.AI.*.{extension}", SearchOption.AllDirectories)
            .Where(f => char.IsAsciiDigit(Path.GetFileName(f)["StreamingCore.AI.".Length]))
            .ToArray();
        Assert.That(files, Has.Length.EqualTo(1), $"StreamingCore.AI .{extension} under {_packageDirectory}");
        return files[0];
    }

    private static string[] Entries(string package)
    {
        using ZipArchive zip = ZipFile.OpenRead(package);
        return zip.Entries.Select(e => e.FullName).ToArray();
    }

    private XElement Metadata()
    {
        using ZipArchive zip = ZipFile.OpenRead(Single("nupkg"));
        using Stream nuspec = zip.Entries.Single(e => e.FullName.EndsWith(".nuspec", StringComparison.Ordinal)).Open();
        return XDocument.Load(nuspec).Root!.Elements().Single(e => e.Name.LocalName == "metadata");
    }

    [Test]
    public void The_package_holds_both_target_frameworks_with_XML_docs_and_the_readme()
    {
        string[] entries = Entries(Single("nupkg"));
        Assert.Multiple(() =>
        {
            foreach (string tfm in TargetFrameworks)
            {
                Assert.That(entries, Does.Contain($"lib/{tfm}/StreamingCore.AI.dll"));
                Assert.That(entries, Does.Contain($"lib/{tfm}/StreamingCore.AI.xml"));
            }

            Assert.That(entries, Does.Contain("README.md"));
        });
    }

    [Test]
    public void The_nuspec_declares_a_description_the_MIT_license_the_readme_and_the_repository()
    {
        XElement metadata = Metadata();
        XElement Element(string name) => metadata.Elements().Single(e => e.Name.LocalName == name);

        Assert.Multiple(() =>
        {
            Assert.That(Element("description").Value, Does.Contain("UseChatStreaming"));
            Assert.That((Element("license").Attribute("type")?.Value, Element("license").Value), Is.EqualTo(("expression", "MIT")));
            Assert.That(Element("readme").Value, Is.EqualTo("README.md"));
            Assert.That(Element("repository").Attribute("commit")?.Value, Has.Length.EqualTo(40), "SourceLink records the commit");
        });
    }

    [Test]
    public void Each_target_framework_depends_on_StreamingCore_and_Microsoft_Extensions_AI()
    {
        XElement[] groups = Metadata().Descendants().Where(e => e.Name.LocalName == "group").ToArray();

        Assert.Multiple(() =>
        {
            foreach (string tfm in TargetFrameworks)
            {
                XElement group = groups.Single(g => g.Attribute("targetFramework")?.Value == tfm);
                string[] ids = group.Elements().Select(d => d.Attribute("id")!.Value).ToArray();
                Assert.That(ids, Is.SupersetOf(new[] { "StreamingCore", "Microsoft.Extensions.AI" }), tfm);
                Assert.That(ids, Does.Not.Contain("Microsoft.CodeAnalysis.PublicApiAnalyzers"), tfm);
            }
        });
    }

    [Test]
    public void The_symbols_package_holds_a_pdb_per_target_framework()
    {
        Assert.That(Entries(Single("snupkg")), Is.SupersetOf(TargetFrameworks.Select(tfm => $"lib/{tfm}/StreamingCore.AI.pdb")));
    }
}
