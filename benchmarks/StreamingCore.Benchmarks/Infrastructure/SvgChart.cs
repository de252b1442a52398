using System.Globalization;
using System.Security;
using System.Text;
using BenchmarkDotNet.Reports;

namespace StreamingCore.Benchmarks.Infrastructure;

/// <summary>Draws ns per operation for every benchmark of a run as horizontal bars (log scale), store vs baselines.</summary>
internal static class SvgChart
{
    private const int RowHeight = 22;
    private const int LabelWidth = 560;
    private const int BarWidth = 420;

    public static void Write(IEnumerable<Summary> summaries, string path)
    {
        var rows = summaries
            .SelectMany(s => s.Reports.Where(r => r.ResultStatistics is not null).Select(r => (
                Group: s.BenchmarksCases.Length > 0 ? r.BenchmarkCase.Descriptor.Type.Name.Replace("Benchmarks", string.Empty, StringComparison.Ordinal) : string.Empty,
                Label: $"{r.BenchmarkCase.Descriptor.WorkloadMethodDisplayInfo} {r.BenchmarkCase.Parameters.DisplayInfo}".Trim(),
                IsBaseline: r.BenchmarkCase.Descriptor.Baseline,
                Nanoseconds: r.ResultStatistics!.Mean)))
            .ToList();
        if (rows.Count == 0)
        {
            return;
        }

        double max = Math.Log10(rows.Max(r => r.Nanoseconds) * 2);
        double min = Math.Log10(Math.Max(0.1, rows.Min(r => r.Nanoseconds) / 2));
        int height = (rows.Count + 2) * RowHeight;
        var svg = new StringBuilder();
        CultureInfo inv = CultureInfo.InvariantCulture;
        svg.Append(inv, $"<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{LabelWidth + BarWidth + 120}\" height=\"{height}\" font-family=\"sans-serif\" font-size=\"12\">\n");
        svg.Append(inv, $"<rect width=\"100%\" height=\"100%\" fill=\"white\"/>\n");
        svg.Append(inv, $"<text x=\"4\" y=\"16\" font-weight=\"bold\">ns per operation (log scale); grey = Channel&lt;T&gt; / Subject&lt;T&gt; baselines measured in the same run, blue = StreamingCore</text>\n");
        int y = RowHeight + 8;
        foreach (var row in rows)
        {
            double width = Math.Max(1, BarWidth * (Math.Log10(row.Nanoseconds) - min) / (max - min));
            string colour = IsOtherLibrary(row.Label) ? "#9e9e9e" : "#1f77b4";
            svg.Append(inv, $"<text x=\"{LabelWidth - 6}\" y=\"{y + 14}\" text-anchor=\"end\">{SecurityElement.Escape($"{row.Group}: {row.Label}")}</text>\n");
            svg.Append(inv, $"<rect x=\"{LabelWidth}\" y=\"{y + 3}\" width=\"{width:F1}\" height=\"{RowHeight - 6}\" fill=\"{colour}\"/>\n");
            svg.Append(inv, $"<text x=\"{LabelWidth + width + 4:F1}\" y=\"{y + 14}\">{row.Nanoseconds:N1}</text>\n");
            y += RowHeight;
        }

        svg.Append("</svg>\n");
        Directory.CreateDirectory(Path.GetDirectoryName(Path.GetFullPath(path))!);
        File.WriteAllText(path, svg.ToString());
    }

    /// <summary>The baselines from other libraries, drawn grey; everything else is StreamingCore.</summary>
    public static bool IsOtherLibrary(string label)
        => label.Contains("Channel<T>", StringComparison.Ordinal) || label.Contains("Subject<T>", StringComparison.Ordinal);
}
