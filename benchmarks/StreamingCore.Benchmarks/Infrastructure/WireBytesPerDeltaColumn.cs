using System.Collections.Concurrent;
using System.Globalization;
using BenchmarkDotNet.Columns;
using BenchmarkDotNet.Configs;
using BenchmarkDotNet.Reports;
using BenchmarkDotNet.Running;

namespace StreamingCore.Benchmarks.Infrastructure;

/// <summary>
/// The bytes a benchmark wrote to the response body, per operation: counted, not timed. For benchmarks that return
/// <c>Task&lt;long&gt;</c>, the bytes their body stream counted; the column runs each such benchmark once more in the host
/// process (setup, one invocation, cleanup) to read it, since the timed runs happen in other processes.
/// </summary>
internal sealed class WireBytesPerDeltaColumn : IColumn
{
    private readonly ConcurrentDictionary<BenchmarkCase, double> _bytesPerOperation = new();

    public string Id => nameof(WireBytesPerDeltaColumn);

    public string ColumnName => "Wire B/delta";

    public bool AlwaysShow => true;

    public ColumnCategory Category => ColumnCategory.Custom;

    public int PriorityInCategory => 0;

    public bool IsNumeric => true;

    public UnitType UnitType => UnitType.Dimensionless;

    public string Legend => "Bytes written to the response body per delta, counted (the response's started and finished events and the endpoint's retry: line spread over its deltas)";

    public bool IsAvailable(Summary summary) => true;

    public bool IsDefault(Summary summary, BenchmarkCase benchmarkCase) => false;

    public string GetValue(Summary summary, BenchmarkCase benchmarkCase) => GetValue(summary, benchmarkCase, SummaryStyle.Default);

    public string GetValue(Summary summary, BenchmarkCase benchmarkCase, SummaryStyle style)
        => _bytesPerOperation.GetOrAdd(benchmarkCase, Measure).ToString("N2", CultureInfo.InvariantCulture);

    public override string ToString() => ColumnName;

    private static double Measure(BenchmarkCase benchmarkCase)
    {
        Descriptor descriptor = benchmarkCase.Descriptor;
        object benchmark = Activator.CreateInstance(descriptor.Type)!;
        Run(descriptor.GlobalSetupMethod?.Invoke(benchmark, null));
        long bytes = ((Task<long>)descriptor.WorkloadMethod.Invoke(benchmark, null)!).GetAwaiter().GetResult();
        Run(descriptor.GlobalCleanupMethod?.Invoke(benchmark, null));
        return (double)bytes / descriptor.OperationsPerInvoke;
    }

    private static void Run(object? setupOrCleanup)
    {
        if (setupOrCleanup is Task task)
        {
            task.GetAwaiter().GetResult();
        }
    }

    /// <summary>Adds the column: <c>[Config(typeof(WireBytesPerDeltaColumn.Config))]</c>.</summary>
    public sealed class Config : ManualConfig
    {
        public Config() => AddColumn(new WireBytesPerDeltaColumn());
    }
}
