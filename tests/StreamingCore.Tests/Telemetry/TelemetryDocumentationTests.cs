using System.Reflection;
using NUnit.Framework;
using StreamingCore.Tests.Support;

namespace StreamingCore.Tests.Telemetry;

/// <summary>docs/telemetry.md must name every instrument, tag and source the code defines.</summary>
public class TelemetryDocumentationTests
{

    public static IEnumerable<TestCaseData> Names()
        => typeof(StreamingCoreDiagnostics).GetFields(BindingFlags.Public | BindingFlags.Static)
            .Where(f => f.IsLiteral)
            .Select(f => new TestCaseData((string)f.GetRawConstantValue()!).SetArgDisplayNames(f.Name));

    [TestCaseSource(nameof(Names))]
    public void The_telemetry_doc_names_it(string name)
        => Assert.That(File.ReadAllText(Repository.PathOf("docs", "telemetry.md")), Does.Contain($"`{name}`"));

    [Test]
    public void The_doc_lists_the_bucket_boundaries_the_code_advises()
        => Assert.That(
            File.ReadAllText(Repository.PathOf("docs", "telemetry.md")),
            Does.Contain("[" + string.Join(", ", StreamingCoreDiagnostics.SecondsBuckets.Select(b => b.ToString(System.Globalization.CultureInfo.InvariantCulture))) + "]"));
}
