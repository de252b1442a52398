using System.Diagnostics;
using System.IO.Compression;
using System.Xml.Linq;
using NUnit.Framework;
using StreamingCore.Tests.Support;

namespace StreamingCore.Tests.Packaging;

/// <summary>
/// Checks what <c>dotnet pack -c Release</c> produces. Uses the packages in STREAMINGCORE_PACKAGE_DIR when
/// .ci/run has packed already; otherwise packs the library itself into a temporary folder.
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

        _packageDirectory = Directory.CreateTempSubdirectory("streamingcore-pack-").FullName;
        _ownsDirectory = true;
        string project = Path.Combine(Repository.Root, "src", "StreamingCore", "StreamingCore.csproj");
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


    // "StreamingCore.0.1.0-preview.nupkg", never "StreamingCore.AspNetCore.0.1.0-preview.nupkg": the version follows the id.
    private string Single(string pattern)
    {
        string[] files = Directory.GetFiles(_packageDirectory, pattern)
            .Where(f => char.IsAsciiDigit(Path.GetFileName(f)["StreamingCore.".Length]))
            .ToArray();
        Assert.That(files, Has.Length.EqualTo(1), $"{pattern} in {_packageDirectory}");
        return files[0];
    }

    private string PackagePath => Single("StreamingCore.*.nupkg");

    private static string[] Entries(string package)
    {
        using ZipArchive zip = ZipFile.OpenRead(package);
        return zip.Entries.Select(e => e.FullName).ToArray();
    }

    [Test]
    public void The_package_holds_both_target_frameworks_with_XML_docs_and_the_readme()
    {
        string[] entries = Entries(PackagePath);
        foreach (string tfm in TargetFrameworks)
        {
            Assert.That(entries, Does.Contain($"lib/{tfm}/StreamingCore.dll"));
            Assert.That(entries, Does.Contain($"lib/{tfm}/StreamingCore.xml"));
        }

        Assert.That(entries, Does.Contain("README.md"));
    }

    [Test]
    public void The_nuspec_declares_the_MIT_license_the_readme_and_the_repository()
    {
        using ZipArchive zip = ZipFile.OpenRead(PackagePath);
        using Stream nuspecStream = zip.Entries.Single(e => e.FullName.EndsWith(".nuspec", StringComparison.Ordinal)).Open();
        XElement metadata = XDocument.Load(nuspecStream).Root!.Elements().Single(e => e.Name.LocalName == "metadata");
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
    public void The_symbols_package_holds_a_pdb_per_target_framework()
    {
        string[] entries = Entries(Single("StreamingCore.*.snupkg"));
        Assert.That(entries, Is.SupersetOf(TargetFrameworks.Select(tfm => $"lib/{tfm}/StreamingCore.pdb")));
    }

    [Test]
    public void The_readme_in_the_package_is_the_repositorys()
    {
        using ZipArchive zip = ZipFile.OpenRead(PackagePath);
        using var reader = new StreamReader(zip.GetEntry("README.md")!.Open());
        Assert.That(reader.ReadToEnd(), Is.EqualTo(File.ReadAllText(Path.Combine(Repository.Root, "README.md"))));
    }
}
