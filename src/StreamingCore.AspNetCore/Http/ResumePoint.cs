using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Primitives;

namespace StreamingCore.AspNetCore;

/// <summary>Where a client resumes: the <c>Last-Event-ID</c> header, else the <c>lastEventId</c> query parameter.</summary>
internal static class ResumePoint
{
    /// <summary>The header an <c>EventSource</c> sends when it reconnects.</summary>
    public const string LastEventIdHeader = "Last-Event-ID";

    /// <summary>
    /// Reads the resume point. An absent or empty value is "no resume point" (<c>EventSource</c> never sends an empty one);
    /// the header wins over the query parameter, as in Mercure.
    /// </summary>
    /// <param name="request">The request.</param>
    /// <param name="position">The position after which to resume; <see langword="null"/> for the conversation's current response.</param>
    /// <param name="problem">Why the value is malformed, when the method returns <see langword="false"/>.</param>
    /// <returns>Whether the request has no resume point or a well-formed one.</returns>
    public static bool TryRead(HttpRequest request, out ChatStreamPosition? position, [System.Diagnostics.CodeAnalysis.NotNullWhen(false)] out string? problem)
    {
        StringValues header = request.Headers[LastEventIdHeader];
        if (!StringValues.IsNullOrEmpty(header))
        {
            return TryParse(header, $"The {LastEventIdHeader} header", out position, out problem);
        }

        StringValues query = request.Query[ChatStreamingHttpConstants.LastEventIdQueryParameter];
        if (!StringValues.IsNullOrEmpty(query))
        {
            return TryParse(query, $"The {ChatStreamingHttpConstants.LastEventIdQueryParameter} query parameter", out position, out problem);
        }

        position = null;
        problem = null;
        return true;
    }

    private static bool TryParse(StringValues values, string source, out ChatStreamPosition? position, [System.Diagnostics.CodeAnalysis.NotNullWhen(false)] out string? problem)
    {
        // Two values would be two resume points; neither can be trusted.
        if (values.Count == 1 && ChatStreamPosition.TryParse(values[0], out ChatStreamPosition parsed))
        {
            position = parsed;
            problem = null;
            return true;
        }

        position = null;
        problem = $"{source} must be one event id that this endpoint sent ('epoch:sequence': at most {ChatStreamPosition.MaxLength} characters of [A-Za-z0-9._:-]); it is not.";
        return false;
    }
}
