using System.Diagnostics;
using System.IO.Compression;
using System.Text.RegularExpressions;
using System.Xml.Linq;
using NUnit.Framework;
using StreamingCore.AspNetCore.Tests.Support;

namespace StreamingCore.AspNetCore.Tests.Packaging;

/// <summary>
/// Checks what <c>dotnet pack -c Release</c> produces for StreamingCore.AspNetCore. Uses the packages in
/// STREAMINGCORE_PACKAGE_DIR when .ci/run has packed already; otherwise packs the project itself into a temporary folder.
/// </summary>
public partial class PackageTests
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

        _packageDirectory = Directory.CreateTempSubdirectory("streamingcore-aspnetcore-pack-").FullName;
        _ownsDirectory = true;
        string project = Path.Combine(Repository.Root, "src", "StreamingCore.AspNetCore", "StreamingCore.AspNetCore.csproj");
        using var pack = Process.Start(new ProcessStartInfo("dotnet", ["pack", project, "-c", "Release", "-o", _packageDirectory])
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        })!;
        Task<string> output = pack.StandardOutput.ReadToEndAsync();
        Task<string> errors = pack.StandardError.ReadToEndAsync();
        await pack.WaitForExitAsync(new CancellationTokenSource(TimeSpan.FromMinutes(5)).Token);
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

    [Test]
    public void The_package_holds_both_target_frameworks_with_XML_docs_and_the_readme()
    {
        string[] entries = Entries(PackagePath("nupkg"));
        foreach (string tfm in TargetFrameworks)
        {
            Assert.That(entries, Does.Contain($"lib/{tfm}/StreamingCore.AspNetCore.dll"));
            Assert.That(entries, Does.Contain($"lib/{tfm}/StreamingCore.AspNetCore.xml"));
        }

        Assert.That(entries, Does.Contain("README.md"));
        Assert.That(entries.Where(e => e.EndsWith(".dll", StringComparison.Ordinal)), Has.All.Contain("StreamingCore.AspNetCore.dll"), "the core ships in its own package");
    }

    [Test]
    public void The_nuspec_declares_the_license_readme_repository_and_description()
    {
        XElement metadata = Metadata();
        XElement Element(string name) => metadata.Elements().Single(e => e.Name.LocalName == name);

        Assert.Multiple(() =>
        {
            Assert.That((Element("license").Attribute("type")?.Value, Element("license").Value), Is.EqualTo(("expression", "MIT")));
            Assert.That(Element("readme").Value, Is.EqualTo("README.md"));
            Assert.That(Element("repository").Attribute("url")?.Value, Does.StartWith("https://"));
            Assert.That(Element("repository").Attribute("commit")?.Value, Has.Length.EqualTo(40), "SourceLink records the commit");
            Assert.That(Element("description").Value, Does.Contain("Last-Event-ID"));
        });
    }

    [Test]
    public void Each_target_framework_depends_on_the_core_package_and_references_ASP_NET_Core()
    {
        XElement metadata = Metadata();
        XElement[] groups = [.. metadata.Descendants().Where(e => e.Name.LocalName == "dependencies").Elements()];
        XElement[] frameworkReferences = [.. metadata.Descendants().Where(e => e.Name.LocalName == "frameworkReferences").Elements()];

        foreach (string tfm in TargetFrameworks)
        {
            string[] dependencies = [.. groups.Single(g => IsFramework(g, tfm)).Elements().Select(d => d.Attribute("id")!.Value)];
            Assert.That(dependencies, Does.Contain("StreamingCore"), tfm);
            Assert.That(dependencies.Contains("System.Net.ServerSentEvents"), Is.EqualTo(tfm == "net8.0"), $"{tfm}: SseFormatter is in the shared framework from .NET 9 on");
            Assert.That(frameworkReferences.Single(g => IsFramework(g, tfm)).Elements().Select(r => r.Attribute("name")!.Value), Is.EqualTo(new[] { "Microsoft.AspNetCore.App" }), tfm);
        }
    }

    [Test]
    public void The_symbols_package_holds_a_pdb_per_target_framework()
    {
        string[] entries = Entries(PackagePath("snupkg"));
        Assert.That(entries, Is.SupersetOf(TargetFrameworks.Select(tfm => $"lib/{tfm}/StreamingCore.AspNetCore.pdb")));
    }

    private static bool IsFramework(XElement group, string tfm)
        => string.Equals(group.Attribute("targetFramework")?.Value, tfm, StringComparison.OrdinalIgnoreCase)
        || string.Equals(group.Attribute("targetFramework")?.Value, tfm.Replace("net", ".NETCoreApp", StringComparison.Ordinal), StringComparison.OrdinalIgnoreCase);

    private XElement Metadata()
    {
        using ZipArchive zip = ZipFile.OpenRead(PackagePath("nupkg"));
        using Stream nuspec = zip.Entries.Single(e => e.FullName.EndsWith(".nuspec", StringComparison.Ordinal)).Open();
        return XDocument.Load(nuspec).Root!.Elements().Single(e => e.Name.LocalName == "metadata");
    }

    // This package's files only: the folder also holds the core's and other packages' (StreamingCore.*); .ci/run puts
    // this one in a subfolder so that the core's tests, which take any StreamingCore.*.nupkg at the top, find only theirs.
    private string PackagePath(string extension)
    {
        string[] files = [.. Directory.GetFiles(_packageDirectory, $"*.{extension}", SearchOption.AllDirectories).Where(f => ThisPackage().IsMatch(Path.GetFileName(f)))];
        Assert.That(files, Has.Length.EqualTo(1), $"StreamingCore.AspNetCore.<version>.{extension} in {_packageDirectory}");
        return files[0];
    }

    private static string[] Entries(string package)
    {
        using ZipArchive zip = ZipFile.OpenRead(package);
        return [.. zip.Entries.Select(e => e.FullName)];
    }

    [GeneratedRegex(@"^StreamingCore\.AspNetCore\.\d")]
    private static partial Regex ThisPackage();
}
