using NUnit.Framework;

namespace StreamingCore.AspNetCore.Tests.Packaging;

/// <summary>The ASP.NET Core package: what every package holds (<see cref="PackageTestsBase"/>) and its dependencies.</summary>
public class PackageTests() : PackageTestsBase("StreamingCore.AspNetCore")
{
    [Test]
    public void Each_target_framework_depends_on_the_core_package_and_references_ASP_NET_Core()
    {
        Assert.That(Metadata().Elements().Single(e => e.Name.LocalName == "description").Value, Does.Contain("Last-Event-ID"));
        foreach (string tfm in TargetFrameworks)
        {
            string[] dependencies = Dependencies(tfm);
            Assert.That(dependencies, Does.Contain("StreamingCore"), tfm);
            Assert.That(dependencies, Does.Not.Contain("System.Net.ServerSentEvents"), $"{tfm}: the endpoint frames events itself (id: first, as the contract)");
            Assert.That(FrameworkReferences(tfm), Is.EqualTo(new[] { "Microsoft.AspNetCore.App" }), tfm);
        }
    }
}
