using NUnit.Framework;

namespace StreamingCore.AI.Tests.Packaging;

/// <summary>The Microsoft.Extensions.AI package: what every package holds (<see cref="PackageTestsBase"/>) and its dependencies.</summary>
public class PackageTests() : PackageTestsBase("StreamingCore.AI")
{
    [Test]
    public void Each_target_framework_depends_on_StreamingCore_and_Microsoft_Extensions_AI()
    {
        Assert.That(Metadata().Elements().Single(e => e.Name.LocalName == "description").Value, Does.Contain("UseChatStreaming"));
        Assert.Multiple(() =>
        {
            foreach (string tfm in TargetFrameworks)
            {
                string[] ids = Dependencies(tfm);
                Assert.That(ids, Is.SupersetOf(new[] { "StreamingCore", "Microsoft.Extensions.AI" }), tfm);
                Assert.That(ids, Does.Not.Contain("Microsoft.CodeAnalysis.PublicApiAnalyzers"), tfm);
            }
        });
    }
}
