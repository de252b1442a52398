using System.Text.Json;

namespace StreamingCore.AspNetCore;

/// <summary>The <c>code</c> values of WebSocket <c>error</c> messages (snake_case, as the seed's message types).</summary>
internal static class WebSocketErrorCodes
{
    /// <summary>The client sent something that is not a known message, or the upgrade's <c>lastEventId</c> is malformed.</summary>
    public const string BadRequest = "bad_request";

    /// <summary>The resume point names events this server no longer has (or never had): start over without it.</summary>
    public const string SequenceNotRetained = "sequence_not_retained";

    /// <summary>The conversation has as many live subscribers as the store allows.</summary>
    public const string TooManySubscribers = "too_many_subscribers";

    /// <summary>The client fell a full queue behind; it reconnects with the id of the last event it received.</summary>
    public const string SubscriberOverflow = "subscriber_overflow";

    /// <summary>A response ended with a Failed event; the message's <c>id</c> is that event's position.</summary>
    public const string ResponseFailed = "response_failed";

    /// <summary>The code of a store refusal: the <see cref="ChatStreamingError"/> in snake_case, so codes the core adds later get one too.</summary>
    public static string From(ChatStreamingError error) => error switch
    {
        ChatStreamingError.SequenceNotRetained => SequenceNotRetained,
        ChatStreamingError.TooManySubscribers => TooManySubscribers,
        ChatStreamingError.SubscriberOverflow => SubscriberOverflow,
        _ => JsonNamingPolicy.SnakeCaseLower.ConvertName(error.ToString()),
    };
}
