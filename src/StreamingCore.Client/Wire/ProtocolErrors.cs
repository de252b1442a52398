namespace StreamingCore.Client.Wire;

/// <summary>The error for a response the client cannot read as the endpoint's protocol; never retried.</summary>
internal static class ProtocolErrors
{
    public static HttpRequestException Create(string message, Exception? innerException = null)
        => new(HttpRequestError.InvalidResponse, message, innerException);
}
