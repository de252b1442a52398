namespace StreamingCore.Client;

/// <summary>
/// Settings of a <see cref="ChatStreamingClient"/>: how long it waits between reconnections and when it gives up.
/// Validated once, when the client is created (every invalid setting is named in one
/// <see cref="Microsoft.Extensions.Options.OptionsValidationException"/>); the client keeps a copy, so changing an
/// instance afterwards does not affect a client made with it.
/// </summary>
public sealed class ChatStreamingClientOptions
{
    /// <summary>
    /// Gets or sets the longest wait before a reconnection. The client waits what the server's SSE <c>retry:</c> field
    /// asked for (1 second until one arrives), but never longer than this. Default 30 seconds; zero reconnects at once.
    /// </summary>
    public TimeSpan MaxReconnectionDelay { get; set; } = ChatStreamingClientConstants.DefaultMaxReconnectionDelay;

    /// <summary>
    /// Gets or sets how many connection attempts in a row may fail (a transport error or a 5xx status; the first attempt
    /// counts, any 200 resets the count) before the client gives up and throws the last failure. Default 10.
    /// </summary>
    public int MaxConsecutiveFailures { get; set; } = ChatStreamingClientConstants.DefaultMaxConsecutiveFailures;

    /// <summary>
    /// Gets or sets the clock the client waits on between reconnections. Default <see cref="TimeProvider.System"/>;
    /// tests pass a <c>FakeTimeProvider</c> to drive the waits without sleeping.
    /// </summary>
    public TimeProvider TimeProvider { get; set; } = TimeProvider.System;
}
