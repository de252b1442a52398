namespace StreamingCore.Client.Wire;

/// <summary>The fields the client reads of an <c>application/problem+json</c> body (RFC 9457).</summary>
internal sealed class WireProblem
{
    public string? Title { get; set; }

    public string? Detail { get; set; }
}
