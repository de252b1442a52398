using System.Globalization;
using BenchmarkDotNet.Configs;
using BenchmarkDotNet.Reports;
using BenchmarkDotNet.Running;
using StreamingCore.Benchmarks.Infrastructure;

// dotnet run -c Release --project benchmarks/StreamingCore.Benchmarks -- --filter '*'      the whole suite
// dotnet run -c Release --project benchmarks/StreamingCore.Benchmarks -- memory            the retention memory report
// dotnet run -c Release --project benchmarks/StreamingCore.Benchmarks -- sse-clients       concurrent SSE clients on Kestrel
// dotnet run -c Release --project benchmarks/StreamingCore.Benchmarks -- redis-latency     A→B latency through Redis at 10,000 events/s
// dotnet run -c Release --project benchmarks/StreamingCore.Benchmarks -- idle              memory of idle subscriptions at 100,000
// dotnet run -c Release --project benchmarks/StreamingCore.Benchmarks -- profile same 6   a loop for perf to sample (ProfileLoop)
// Add --job Dry for a smoke run (each benchmark once, no meaningful numbers); --quick to memory, sse-clients, idle and redis-latency.
if (args.Length > 0 && args[0] == "memory")
{
    RetentionMemoryReport.Run(Console.Out, quick: args.Contains("--quick"));
    return 0;
}

if (args.Length > 0 && args[0] == "idle")
{
    return await IdleMemoryReport.RunAsync(Console.Out, quick: args.Contains("--quick"));
}

if (args.Length > 0 && args[0] == ProfileLoop.Command)
{
    return await ProfileLoop.RunAsync(Console.Out, args);
}

if (args.Length > 0 && args[0] == "sse-clients")
{
    return await SseClientsReport.RunAsync(Console.Out, quick: args.Contains("--quick"));
}

if (args.Length > 0 && args[0] == RedisLatencyReport.Command)
{
    int at = Array.IndexOf(args, "--conversations");
    int conversations = at > 0 && at + 1 < args.Length ? int.Parse(args[at + 1], CultureInfo.InvariantCulture) : 100;
    return await RedisLatencyReport.RunAsync(Console.Out, quick: args.Contains("--quick"), conversations);
}

if (args.Length == 3 && args[0] == SseLoadClients.Command)
{
    return await SseLoadClients.RunAsync(new Uri(args[1]), TimeSpan.FromMilliseconds(double.Parse(args[2], CultureInfo.InvariantCulture)));
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
