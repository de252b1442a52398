using NUnit.Framework;

namespace StreamingCore.Client.Tests.Packaging;

/// <summary>The client package: what every package holds (<see cref="PackageTestsBase"/>), its own readme and its dependencies.</summary>
public class PackageTests() : PackageTestsBase("StreamingCore.Client")
{
    [Test]
    public void It_depends_on_the_core_and_on_System_Net_ServerSentEvents_only_where_the_framework_lacks_it_and_never_on_ASP_NET_Core()
    {
        Assert.Multiple(() =>
        {
            Assert.That(Dependencies("net8.0").Order(StringComparer.Ordinal), Is.EqualTo(new[] { "StreamingCore", "System.Net.ServerSentEvents" }));
            Assert.That(Dependencies("net10.0"), Is.EqualTo(new[] { "StreamingCore" }));
            Assert.That(TargetFrameworks.SelectMany(FrameworkReferences), Is.Empty, "no ASP.NET Core");
        });
    }

    [Test]
    public void The_readme_in_the_package_is_the_clients()
        => Assert.That(ReadEntry("README.md"), Is.EqualTo(File.ReadAllText(Repository.PathOf("src", "StreamingCore.Client", "README.md"))));
}
