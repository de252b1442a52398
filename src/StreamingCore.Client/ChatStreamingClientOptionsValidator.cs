using Microsoft.Extensions.Options;

namespace StreamingCore.Client;

/// <summary>Checks every rule of <see cref="ChatStreamingClientOptions"/> and reports all failures together.</summary>
internal sealed class ChatStreamingClientOptionsValidator : IValidateOptions<ChatStreamingClientOptions>
{
    public ValidateOptionsResult Validate(string? name, ChatStreamingClientOptions options)
    {
        List<string> failures = [];
        if (options.MaxReconnectionDelay < TimeSpan.Zero || options.MaxReconnectionDelay > ChatStreamingClientConstants.MaxTimerDueTime)
        {
            failures.Add($"MaxReconnectionDelay must be between zero and 49 days; it is {options.MaxReconnectionDelay}.");
        }

        if (options.MaxConsecutiveFailures <= 0)
        {
            failures.Add($"MaxConsecutiveFailures must be greater than zero; it is {options.MaxConsecutiveFailures}.");
        }

        if (options.TimeProvider is null)
        {
            failures.Add("TimeProvider must not be null.");
        }

        return failures.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(failures);
    }

    /// <summary>Throws one exception that names every invalid setting.</summary>
    public static void ThrowIfInvalid(ChatStreamingClientOptions options)
    {
        ValidateOptionsResult result = new ChatStreamingClientOptionsValidator().Validate(Options.DefaultName, options);
        if (result.Failed)
        {
            throw new OptionsValidationException(Options.DefaultName, typeof(ChatStreamingClientOptions), result.Failures);
        }
    }
}
