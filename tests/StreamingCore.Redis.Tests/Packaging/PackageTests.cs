using System.Xml.Linq;
using NUnit.Framework;

namespace StreamingCore.Redis.Tests.Packaging;

/// <summary>The Redis package: what every package holds (<see cref="PackageTestsBase"/>) and its dependencies.</summary>
public class PackageTests() : PackageTestsBase("StreamingCore.Redis")
{
    [Test]
    public void Each_target_framework_depends_on_StreamingCore_and_StackExchange_Redis_and_not_on_ASP_NET_Core()
    {
        Assert.That(Metadata().Elements().Single(e => e.Name.LocalName == "description").Value, Does.Contain("AddRedis()").And.Contain("Redis Cluster"));
        Assert.Multiple(() =>
        {
            foreach (string tfm in TargetFrameworks)
            {
                string[] ids = Dependencies(tfm);
                Assert.That(ids, Is.SupersetOf(new[] { "StreamingCore", "StackExchange.Redis" }), tfm);
                Assert.That(ids, Does.Not.Contain("Microsoft.CodeAnalysis.PublicApiAnalyzers"), tfm);
                Assert.That(FrameworkReferences(tfm), Is.Empty, $"{tfm}: usable outside ASP.NET Core (a worker service produces too)");
            }
        });
    }

    [Test]
    public void The_dependencies_carry_the_versions_this_repository_builds_with()
    {
        string version = Metadata().Elements().Single(e => e.Name.LocalName == "version").Value;
        foreach (string tfm in TargetFrameworks)
        {
            Assert.That(DependencyVersion(tfm, "StreamingCore"), Is.EqualTo(version), $"{tfm}: the core of the same release");
            Assert.That(DependencyVersion(tfm, "StackExchange.Redis"), Is.EqualTo(CentralVersion("StackExchange.Redis")), tfm);
        }
    }

    [Test]
    public void The_XML_docs_document_AddRedis_and_the_store()
    {
        foreach (string tfm in TargetFrameworks)
        {
            string docs = ReadEntry($"lib/{tfm}/StreamingCore.Redis.xml");
            Assert.That(docs, Does.Contain("M:Microsoft.Extensions.DependencyInjection.ChatStreamingRedisBuilderExtensions.AddRedis("), tfm);
            Assert.That(docs, Does.Contain("T:StreamingCore.Redis.RedisChatStreamingStore"), tfm);
            Assert.That(docs, Does.Contain("P:StreamingCore.Redis.RedisChatStreamingOptions.KeyPrefix"), tfm);
        }
    }

    private string? DependencyVersion(string tfm, string id)
        => Metadata().Descendants().Where(e => e.Name.LocalName == "dependencies").Elements()
            .Single(g => string.Equals(g.Attribute("targetFramework")?.Value, tfm, StringComparison.OrdinalIgnoreCase)
                || string.Equals(g.Attribute("targetFramework")?.Value, tfm.Replace("net", ".NETCoreApp", StringComparison.Ordinal), StringComparison.OrdinalIgnoreCase))
            .Elements().Single(d => d.Attribute("id")!.Value == id).Attribute("version")?.Value;

    private static string CentralVersion(string id)
    {
        var props = XDocument.Load(Path.Combine(Repository.Root, "Directory.Packages.props"));
        return props.Descendants("PackageVersion").Single(p => p.Attribute("Include")?.Value == id).Attribute("Version")!.Value;
    }
}
