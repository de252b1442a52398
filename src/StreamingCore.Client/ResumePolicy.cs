namespace StreamingCore.Client;

/// <summary>What a <see cref="ChatStreamingClient"/> copies from its <see cref="ChatStreamingClientOptions"/> when it is created.</summary>
internal sealed record ResumePolicy(TimeSpan MaxReconnectionDelay, int MaxConsecutiveFailures, TimeProvider TimeProvider);
