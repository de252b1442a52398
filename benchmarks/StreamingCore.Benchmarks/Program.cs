using BenchmarkDotNet.Configs;
using BenchmarkDotNet.Reports;
using BenchmarkDotNet.Running;
using StreamingCore.Benchmarks.Infrastructure;

// dotnet run -c Release --project benchmarks/StreamingCore.Benchmarks -- --filter '*'      the whole suite
// dotnet run -c Release --project benchmarks/StreamingCore.Benchmarks -- memory            the retention memory report
// Add --job Dry for a smoke run (each benchmark once, no meaningful numbers).
if (args.Length > 0 && args[0] == "memory")
{
    RetentionMemoryReport.Run(Console.Out, quick: args.Contains("--quick"));
    return 0;
}

IConfig config = DefaultConfig.Instance;
IEnumerable<Summary> summaries = BenchmarkSwitcher.FromAssembly(typeof(Program).Assembly).Run(args, config);
if (!args.Contains("Dry", StringComparer.OrdinalIgnoreCase))
{
    string chart = Path.Combine("BenchmarkDotNet.Artifacts", "results", "streamingcore-chart.svg");
    SvgChart.Write(summaries, chart);
    Console.WriteLine($"Chart: {Path.GetFullPath(chart)}");
}

return summaries.Any(s => s.HasCriticalValidationErrors || s.Reports.Any(r => !r.Success)) ? 1 : 0;
