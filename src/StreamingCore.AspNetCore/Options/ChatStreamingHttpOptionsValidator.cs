using Microsoft.Extensions.Options;

namespace StreamingCore.AspNetCore;

/// <summary>
/// Checks every rule of <see cref="ChatStreamingHttpOptions"/> and reports all failures together. Called by the endpoints
/// themselves (when mapped, and per connection), as the contract configures the options with a plain
/// <c>services.Configure</c> and no registration of ours runs.
/// </summary>
internal static class ChatStreamingHttpOptionsValidator
{
    /// <summary>Throws one exception that names every invalid setting.</summary>
    public static ChatStreamingHttpOptions ThrowIfInvalid(ChatStreamingHttpOptions options)
    {
        if (Failures(options) is { } failures)
        {
            throw new OptionsValidationException(Options.DefaultName, typeof(ChatStreamingHttpOptions), failures);
        }

        return options;
    }

    // Null when valid: connections check the options on every request, so the valid path allocates nothing.
    private static List<string>? Failures(ChatStreamingHttpOptions options)
    {
        List<string>? failures = null;
        if (!IsTimerDueTime(options.HeartbeatInterval))
        {
            (failures ??= []).Add($"ChatStreamingHttpOptions.HeartbeatInterval must be positive and at most 49 days; it is {options.HeartbeatInterval}.");
        }

        // retry: is whole milliseconds; less than one would be sent as "retry: 0", a reconnect storm.
        if (options.ReconnectionDelay < TimeSpan.FromMilliseconds(1) || options.ReconnectionDelay > ChatStreamingHttpConstants.MaxTimerDueTime)
        {
            (failures ??= []).Add($"ChatStreamingHttpOptions.ReconnectionDelay must be at least 1 millisecond and at most 49 days; it is {options.ReconnectionDelay}.");
        }

        if (options.MaxConnectionDuration is { } duration && !IsTimerDueTime(duration))
        {
            (failures ??= []).Add($"ChatStreamingHttpOptions.MaxConnectionDuration must be positive and at most 49 days, or null for no limit; it is {duration}.");
        }

        return failures;
    }

    private static bool IsTimerDueTime(TimeSpan value) => value > TimeSpan.Zero && value <= ChatStreamingHttpConstants.MaxTimerDueTime;
}
