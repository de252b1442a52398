using NUnit.Framework;

namespace StreamingCore.AspNetCore.Tests.WebSockets;

public class WebSocketErrorCodesTests
{
    [TestCase(ChatStreamingError.SequenceNotRetained, "sequence_not_retained")]
    [TestCase(ChatStreamingError.TooManySubscribers, "too_many_subscribers")]
    [TestCase(ChatStreamingError.SubscriberOverflow, "subscriber_overflow")]
    [TestCase(ChatStreamingError.ResponseTooLong, "response_too_long")]
    public void A_store_error_becomes_its_snake_case_code(ChatStreamingError error, string code)
        => Assert.That(WebSocketErrorCodes.From(error), Is.EqualTo(code));
}
