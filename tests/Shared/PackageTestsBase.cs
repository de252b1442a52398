using System.Diagnostics;
using System.IO.Compression;
using System.Xml.Linq;
using NUnit.Framework;

namespace StreamingCore.Testing;

/// <summary>
/// What every StreamingCore package must hold, checked on what <c>dotnet pack -c Release</c> produces: both target
/// frameworks with XML docs, a readme, the MIT license expression, the repository and commit (SourceLink), a description,
/// and a symbols package. Uses the packages under STREAMINGCORE_PACKAGE_DIR (subfolders included) when .ci/run has packed
/// already; otherwise packs the project into a temporary folder. Each package's own test class adds its dependencies.
/// </summary>
/// <param name="packageId">The package id, e.g. <c>StreamingCore.AspNetCore</c>.</param>
public abstract class PackageTestsBase(string packageId)
{
    protected static readonly string[] TargetFrameworks = ["net8.0", "net10.0"];

    private string _packageDirectory = null!;
    private bool _ownsDirectory;

    protected string PackageId => packageId;

    [OneTimeSetUp]
    public async Task Pack()
    {
        string? given = Environment.GetEnvironmentVariable("STREAMINGCORE_PACKAGE_DIR");
        if (!string.IsNullOrEmpty(given))
        {
            _packageDirectory = given;
            return;
        }

        _packageDirectory = Directory.CreateTempSubdirectory($"{packageId.ToLowerInvariant()}-pack-").FullName;
        _ownsDirectory = true;
        string project = Path.Combine(Repository.Root, "src", packageId, $"{packageId}.csproj");
        using var pack = Process.Start(new ProcessStartInfo("dotnet", ["pack", project, "-c", "Release", "-o", _packageDirectory])
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        })!;
        Task<string> output = pack.StandardOutput.ReadToEndAsync();
        Task<string> errors = pack.StandardError.ReadToEndAsync();

        // A cold pack restores and builds both target frameworks: more than the usual backstop.
        using var packing = new CancellationTokenSource(TimeSpan.FromMinutes(5));
        await pack.WaitForExitAsync(packing.Token);
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
    public void The_package_holds_both_target_frameworks_with_XML_docs_and_a_readme()
    {
        string[] entries = Entries(PackagePath("nupkg"));
        foreach (string tfm in TargetFrameworks)
        {
            Assert.That(entries, Does.Contain($"lib/{tfm}/{packageId}.dll"));
            Assert.That(entries, Does.Contain($"lib/{tfm}/{packageId}.xml"));
        }

        Assert.That(entries, Does.Contain("README.md"));
        Assert.That(entries.Where(e => e.EndsWith(".dll", StringComparison.Ordinal)), Has.All.EndWith($"/{packageId}.dll"), "every other assembly ships in its own package");
    }

    [Test]
    public void The_nuspec_declares_a_description_the_MIT_license_the_readme_and_the_repository()
    {
        XElement metadata = Metadata();
        XElement Element(string name) => metadata.Elements().Single(e => e.Name.LocalName == name);

        Assert.Multiple(() =>
        {
            Assert.That((Element("license").Attribute("type")?.Value, Element("license").Value), Is.EqualTo(("expression", "MIT")));
            Assert.That(Element("readme").Value, Is.EqualTo("README.md"));
            Assert.That(Element("repository").Attribute("url")?.Value, Does.StartWith("https://"));
            Assert.That(Element("repository").Attribute("commit")?.Value, Has.Length.EqualTo(40), "SourceLink records the commit");
            Assert.That(Element("description").Value, Is.Not.Empty);
        });
    }

    [Test]
    public void The_symbols_package_holds_a_pdb_per_target_framework()
        => Assert.That(Entries(PackagePath("snupkg")), Is.SupersetOf(TargetFrameworks.Select(tfm => $"lib/{tfm}/{packageId}.pdb")));

    /// <summary>The package's dependency ids for one target framework.</summary>
    protected string[] Dependencies(string tfm)
        => [.. Metadata().Descendants().Where(e => e.Name.LocalName == "dependencies").Elements()
            .Single(g => IsFramework(g, tfm)).Elements().Select(d => d.Attribute("id")!.Value)];

    /// <summary>The package's framework references for one target framework (none when it has no group).</summary>
    protected string[] FrameworkReferences(string tfm)
        => [.. Metadata().Descendants().Where(e => e.Name.LocalName == "frameworkReferences").Elements()
            .Where(g => IsFramework(g, tfm)).Elements().Select(r => r.Attribute("name")!.Value)];

    /// <summary>The nuspec's metadata element.</summary>
    protected XElement Metadata()
    {
        using ZipArchive zip = ZipFile.OpenRead(PackagePath("nupkg"));
        using Stream nuspec = zip.Entries.Single(e => e.FullName.EndsWith(".nuspec", StringComparison.Ordinal)).Open();
        return XDocument.Load(nuspec).Root!.Elements().Single(e => e.Name.LocalName == "metadata");
    }

    /// <summary>The text of one file in the package.</summary>
    protected string ReadEntry(string entry)
    {
        using ZipArchive zip = ZipFile.OpenRead(PackagePath("nupkg"));
        using var reader = new StreamReader(zip.GetEntry(entry)!.Open());
        return reader.ReadToEnd();
    }

    /// <summary>
    /// This package's file: "StreamingCore.AI.0.1.0-preview.nupkg", never "StreamingCore.AI.Extra.0.1.0-preview.nupkg" nor,
    /// for the core, "StreamingCore.AspNetCore.0.1.0-preview.nupkg": the version follows the id and starts with a digit.
    /// </summary>
    protected string PackagePath(string extension)
    {
        string[] files = [.. Directory.GetFiles(_packageDirectory, $"{packageId}.*.{extension}", SearchOption.AllDirectories)
            .Where(f => char.IsAsciiDigit(Path.GetFileName(f)[(packageId.Length + 1)..][0]))];
        Assert.That(files, Has.Length.EqualTo(1), $"{packageId}.<version>.{extension} under {_packageDirectory}");
        return files[0];
    }

    private static string[] Entries(string package)
    {
        using ZipArchive zip = ZipFile.OpenRead(package);
        return [.. zip.Entries.Select(e => e.FullName)];
    }

    private static bool IsFramework(XElement group, string tfm)
        => string.Equals(group.Attribute("targetFramework")?.Value, tfm, StringComparison.OrdinalIgnoreCase)
        || string.Equals(group.Attribute("targetFramework")?.Value, tfm.Replace("net", ".NETCoreApp", StringComparison.Ordinal), StringComparison.OrdinalIgnoreCase);
}
