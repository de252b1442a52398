using Microsoft.Extensions.Options;

namespace StreamingCore;

/// <summary>Checks every rule of <see cref="ChatStreamingOptions"/> and reports all failures together.</summary>
internal sealed class ChatStreamingOptionsValidator : IValidateOptions<ChatStreamingOptions>
{
    public ValidateOptionsResult Validate(string? name, ChatStreamingOptions options)
    {
        List<string> failures = [];
        if (!Guard.IsValidTimeout(options.IdleTimeout))
        {
            failures.Add($"IdleTimeout must be positive (at most 49 days) or Timeout.InfiniteTimeSpan; it is {options.IdleTimeout}.");
        }

        if (options.RetentionPeriod < TimeSpan.Zero || options.RetentionPeriod > Guard.MaxTimerDueTime)
        {
            failures.Add($"RetentionPeriod must be between zero and 49 days; it is {options.RetentionPeriod}.");
        }

        AddIfNotPositive(failures, options.MaxActiveResponses, nameof(options.MaxActiveResponses));
        AddIfNotPositive(failures, options.MaxResponseLength, nameof(options.MaxResponseLength));
        AddIfNotPositive(failures, options.MaxSubscribersPerConversation, nameof(options.MaxSubscribersPerConversation));
        AddIfNotPositive(failures, options.SubscriberCapacity, nameof(options.SubscriberCapacity));
        AddIfNotPositive(failures, options.MaxRetainedResponsesPerConversation, nameof(options.MaxRetainedResponsesPerConversation));
        AddIfNotPositive(failures, options.MaxWaitingSubscribers, nameof(options.MaxWaitingSubscribers));

        // Started, at least one delta and the terminal event.
        if (options.MaxEventsPerResponse < 3)
        {
            failures.Add($"MaxEventsPerResponse must be at least 3 (Started, a delta and the terminal event); it is {options.MaxEventsPerResponse}.");
        }

        if (options.MaxRetainedBytes <= 0)
        {
            failures.Add($"MaxRetainedBytes must be greater than zero; it is {options.MaxRetainedBytes}.");
        }

        if (!Guard.IsValidTimeout(options.WaitingSubscriberTimeout))
        {
            failures.Add($"WaitingSubscriberTimeout must be positive (at most 49 days) or Timeout.InfiniteTimeSpan; it is {options.WaitingSubscriberTimeout}.");
        }

        if (!Enum.IsDefined(options.SubscriberOverflow))
        {
            failures.Add($"SubscriberOverflow {(int)options.SubscriberOverflow} is not a defined OverflowStrategy.");
        }
        else if (options.SubscriberOverflow == OverflowStrategy.Wait)
        {
            failures.Add("SubscriberOverflow must not be Wait: one slow subscriber must never slow the producer. Use Coalesce, DropOldest, DropNewest or Reject.");
        }

        return failures.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(failures);
    }

    /// <summary>Throws one exception that names every invalid setting.</summary>
    public static void ThrowIfInvalid(ChatStreamingOptions options)
    {
        ValidateOptionsResult result = new ChatStreamingOptionsValidator().Validate(Options.DefaultName, options);
        if (result.Failed)
        {
            throw new OptionsValidationException(Options.DefaultName, typeof(ChatStreamingOptions), result.Failures);
        }
    }

    private static void AddIfNotPositive(List<string> failures, int value, string name)
    {
        if (value <= 0)
        {
            failures.Add($"{name} must be greater than zero; it is {value}.");
        }
    }
}
