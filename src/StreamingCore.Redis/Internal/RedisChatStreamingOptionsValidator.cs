using Microsoft.Extensions.Options;

namespace StreamingCore.Redis.Internal;

/// <summary>Checks every rule of <see cref="RedisChatStreamingOptions"/> and reports all failures together.</summary>
internal sealed class RedisChatStreamingOptionsValidator : IValidateOptions<RedisChatStreamingOptions>
{
    // Redis timeouts are whole milliseconds; a lease shorter than this would lapse between renewals under ordinary jitter.
    private static readonly TimeSpan s_minimumLease = TimeSpan.FromMilliseconds(300);

    public ValidateOptionsResult Validate(string? name, RedisChatStreamingOptions options)
    {
        List<string> failures = [];
        if (options.KeyPrefix is null || options.KeyPrefix.AsSpan().IndexOfAny('{', '}') >= 0)
        {
            failures.Add($"KeyPrefix must not be null nor contain '{{' or '}}' (the conversation's hash tag follows it); it is '{options.KeyPrefix}'.");
        }

        if (options.LeaseDuration < s_minimumLease || options.LeaseDuration > TimeSpan.FromDays(1))
        {
            failures.Add($"LeaseDuration must be between {s_minimumLease.TotalMilliseconds} ms and 1 day; it is {options.LeaseDuration}.");
        }

        if (options.MaxOutboxLength <= 0)
        {
            failures.Add($"MaxOutboxLength must be positive; it is {options.MaxOutboxLength}.");
        }

        if (options.MaxBatchSize is <= 0 or > 10_000)
        {
            failures.Add($"MaxBatchSize must be between 1 and 10000; it is {options.MaxBatchSize}.");
        }

        if (options.MaxStreamLength < 1_000)
        {
            failures.Add($"MaxStreamLength must be at least 1000; it is {options.MaxStreamLength}.");
        }

        if (options.MetadataExpiry <= TimeSpan.Zero)
        {
            failures.Add($"MetadataExpiry must be positive; it is {options.MetadataExpiry}.");
        }

        if (options.OperationTimeout <= TimeSpan.Zero || options.OperationTimeout > TimeSpan.FromHours(1))
        {
            failures.Add($"OperationTimeout must be positive and at most 1 hour; it is {options.OperationTimeout}.");
        }

        if (options.ShutdownTimeout < TimeSpan.Zero || options.ShutdownTimeout > TimeSpan.FromHours(1))
        {
            failures.Add($"ShutdownTimeout must be between zero and 1 hour; it is {options.ShutdownTimeout}.");
        }

        return failures.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(failures);
    }

    public static void ThrowIfInvalid(RedisChatStreamingOptions options)
    {
        ValidateOptionsResult result = new RedisChatStreamingOptionsValidator().Validate(Options.DefaultName, options);
        if (result.Failed)
        {
            throw new OptionsValidationException(Options.DefaultName, typeof(RedisChatStreamingOptions), result.Failures);
        }
    }
}
