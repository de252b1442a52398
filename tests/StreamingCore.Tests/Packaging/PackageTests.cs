using NUnit.Framework;

namespace StreamingCore.Tests.Packaging;

/// <summary>The core package: what every package holds (<see cref="PackageTestsBase"/>), its readme and its dependencies.</summary>
public class PackageTests() : PackageTestsBase("StreamingCore")
{
    [Test]
    public void The_readme_in_the_package_is_the_repositorys()
        => Assert.That(ReadEntry("README.md"), Is.EqualTo(File.ReadAllText(Repository.PathOf("README.md"))));

    [Test]
    public void It_depends_on_no_integration_and_references_no_framework_beyond_the_runtime()
    {
        foreach (string tfm in TargetFrameworks)
        {
            Assert.That(Dependencies(tfm), Has.None.StartsWith("StreamingCore").And.None.Contains("AspNetCore").And.None.Contains("Extensions.AI"), tfm);
            Assert.That(FrameworkReferences(tfm), Is.Empty, tfm);
        }
    }
}
