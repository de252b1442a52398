using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.HttpResults;

namespace StreamingCore.AspNetCore;

/// <summary>
/// The refusals of the SSE endpoint as <c>application/problem+json</c> (through <see cref="TypedResults.Problem(string?, string?, int?, string?, string?, IDictionary{string, object?}?)"/>,
/// so an app's <c>IProblemDetailsService</c> shapes them like its other errors). Decided before the first byte of the body.
/// </summary>
internal static class ChatStreamingProblems
{
    public static ProblemHttpResult BadRequest(string detail)
        => TypedResults.Problem(detail, statusCode: StatusCodes.Status400BadRequest, title: "Bad request");

    /// <summary>The refusal a store error maps to, if it is one a client can act on.</summary>
    public static bool TryFromStoreError(ChatStreamingException exception, [System.Diagnostics.CodeAnalysis.NotNullWhen(true)] out ProblemHttpResult? problem)
    {
        problem = exception.Error switch
        {
            // 410: the client's position names events this server will never have again; EventSource stops for good.
            ChatStreamingError.SequenceNotRetained
                => TypedResults.Problem(exception.Message, statusCode: StatusCodes.Status410Gone, title: "Events not retained"),
            ChatStreamingError.TooManySubscribers
                => TypedResults.Problem(exception.Message, statusCode: StatusCodes.Status429TooManyRequests, title: "Too many subscribers"),
            _ => null,
        };
        return problem is not null;
    }

    public static ProblemHttpResult ShuttingDown()
        => TypedResults.Problem("The server is shutting down; connect again.", statusCode: StatusCodes.Status503ServiceUnavailable, title: "Shutting down");
}
