using System.Diagnostics;
using System.IO.Compression;
using System.Xml.Linq;
using NUnit.Framework;
using StreamingCore.Client.Tests.Support;

namespace StreamingCore.Client.Tests.Packaging;

/// <summary>
/// Checks what <c>dotnet pack -c Release</c> produces for StreamingCore.Client. Uses the packages in STREAMINGCORE_PACKAGE_DIR
/// when .ci/run has packed already; otherwise packs the client itself into a temporary folder.
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

        _packageDirectory = Directory.CreateTempSubdirectory("streamingcore-client-pack-").FullName;
        _ownsDirectory = true;
        string project = Repository.File("src", "StreamingCore.Client", "StreamingCore.Client.csproj");
        using var pack = Process.Start(new ProcessStartInfo("dotnet", ["pack", project, "-c", "Release", "-o", _packageDirectory])
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        })!;
        Task<string> output = pack.StandardOutput.ReadToEndAsync();
        Task<string> errors = pack.StandardError.ReadToEndAsync();
        await pack.WaitForExitAsync(new CancellationTokenSource(TimeSpan.FromMinutes(5)).Token); // a cold pack of two frameworks is slow on 2 cores
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

    private string Single(string pattern)
    {
        // .ci/run packs each package into its own subfolder of STREAMINGCORE_PACKAGE_DIR.
        string[] files = Directory.GetFiles(_packageDirectory, pattern, SearchOption.AllDirectories);
        Assert.That(files, Has.Length.EqualTo(1), $"{pattern} in {_packageDirectory}");
        return files[0];
    }

    private string PackagePath => Single("StreamingCore.Client.*.nupkg");

    private static string[] Entries(string package)
    {
        using ZipArchive zip = ZipFile.OpenRead(package);
        return zip.Entries.Select(e => e.FullName).ToArray();
    }

    private XElement Metadata()
    {
        using ZipArchive zip = ZipFile.OpenRead(PackagePath);
        using Stream nuspec = zip.Entries.Single(e => e.FullName.EndsWith(".nuspec", StringComparison.Ordinal)).Open();
        return XDocument.Load(nuspec).Root!.Elements().Single(e => e.Name.LocalName == "metadata");
    }

    [Test]
    public void The_package_holds_both_target_frameworks_with_XML_docs_and_its_readme()
    {
        string[] entries = Entries(PackagePath);
        foreach (string tfm in TargetFrameworks)
        {
            Assert.That(entries, Does.Contain($"lib/{tfm}/StreamingCore.Client.dll"));
            Assert.That(entries, Does.Contain($"lib/{tfm}/StreamingCore.Client.xml"));
        }

        Assert.That(entries, Does.Contain("README.md"));
    }

    [Test]
    public void The_nuspec_declares_the_MIT_license_the_readme_and_the_repository()
    {
        XElement metadata = Metadata();
        XElement Element(string name) => metadata.Elements().Single(e => e.Name.LocalName == name);

        Assert.Multiple(() =>
        {
            Assert.That((Element("license").Attribute("type")?.Value, Element("license").Value), Is.EqualTo(("expression", "MIT")));
            Assert.That(Element("readme").Value, Is.EqualTo("README.md"));
            Assert.That(Element("repository").Attribute("url")?.Value, Does.StartWith("https://"));
            Assert.That(Element("repository").Attribute("commit")?.Value, Has.Length.EqualTo(40), "SourceLink records the commit");
        });
    }

    [Test]
    public void It_depends_on_the_core_and_on_System_Net_ServerSentEvents_only_where_the_framework_lacks_it_and_never_on_ASP_NET_Core()
    {
        XElement metadata = Metadata();
        XElement[] groups = metadata.Descendants().Where(e => e.Name.LocalName == "group").ToArray();
        string[] Dependencies(string tfm) => groups
            .Single(g => g.Attribute("targetFramework")?.Value == tfm)
            .Elements().Select(d => d.Attribute("id")!.Value).Order(StringComparer.Ordinal).ToArray();

        Assert.Multiple(() =>
        {
            Assert.That(Dependencies("net8.0"), Is.EqualTo(new[] { "StreamingCore", "System.Net.ServerSentEvents" }));
            Assert.That(Dependencies("net10.0"), Is.EqualTo(new[] { "StreamingCore" }));
            Assert.That(metadata.Descendants().Where(e => e.Name.LocalName == "frameworkReference"), Is.Empty, "no ASP.NET Core");
        });
    }

    [Test]
    public void The_symbols_package_holds_a_pdb_per_target_framework()
    {
        string[] entries = Entries(Single("StreamingCore.Client.*.snupkg"));
        Assert.That(entries, Is.SupersetOf(TargetFrameworks.Select(tfm => $"lib/{tfm}/StreamingCore.Client.pdb")));
    }

    [Test]
    public void The_readme_in_the_package_is_the_clients()
    {
        using ZipArchive zip = ZipFile.OpenRead(PackagePath);
        using var reader = new StreamReader(zip.GetEntry("README.md")!.Open());
        Assert.That(reader.ReadToEnd(), Is.EqualTo(File.ReadAllText(Repository.File("src", "StreamingCore.Client", "README.md"))));
    }
}
