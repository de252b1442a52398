using Microsoft.Extensions.Options;

namespace StreamingCore.AspNetCore;

/// <summary>Checks every rule of <see cref="ChatStreamingHttpOptions"/> and reports all failures together.</summary>
internal sealed class ChatStreamingHttpOptionsValidator : IValidateOptions<ChatStreamingHttpOptions>
{
    public ValidateOptionsResult Validate(string? name, ChatStreamingHttpOptions options)
    {
        List<string> failures = [];
        if (!IsTimerDueTime(options.HeartbeatInterval))
        {
            failures.Add($"ChatStreamingHttpOptions.HeartbeatInterval must be positive and at most 49 days; it is {options.HeartbeatInterval}.");
        }

        // retry: is whole milliseconds; less than one would be sent as "retry: 0", a reconnect storm.
        if (options.ReconnectionDelay < TimeSpan.FromMilliseconds(1) || options.ReconnectionDelay > ChatStreamingHttpConstants.MaxTimerDueTime)
        {
            failures.Add($"ChatStreamingHttpOptions.ReconnectionDelay must be at least 1 millisecond and at most 49 days; it is {options.ReconnectionDelay}.");
        }

        if (options.MaxConnectionDuration is { } duration && !IsTimerDueTime(duration))
        {
            failures.Add($"ChatStreamingHttpOptions.MaxConnectionDuration must be positive and at most 49 days, or null for no limit; it is {duration}.");
        }

        return failures.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(failures);
    }

    /// <summary>Throws one exception that names every invalid setting.</summary>
    public static ChatStreamingHttpOptions ThrowIfInvalid(ChatStreamingHttpOptions options)
    {
        ValidateOptionsResult result = new ChatStreamingHttpOptionsValidator().Validate(Options.DefaultName, options);
        if (result.Failed)
        {
            throw new OptionsValidationException(Options.DefaultName, typeof(ChatStreamingHttpOptions), result.Failures);
        }

        return options;
    }

    private static bool IsTimerDueTime(TimeSpan value) => value > TimeSpan.Zero && value <= ChatStreamingHttpConstants.MaxTimerDueTime;
}
