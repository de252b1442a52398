namespace StreamingCore.WebSample;

/// <summary>The personas a conversation can answer in, each a system prompt (the seeds' <c>fitness_coach</c>, <c>calm_coach</c>, <c>default</c>).</summary>
public static class Personas
{
    /// <summary>The persona used when a request names none.</summary>
    public const string Default = "default";

    private static readonly Dictionary<string, string> Prompts = new(StringComparer.Ordinal)
    {
        [Default] = "You are a helpful assistant. Answer clearly and briefly.",
        ["fitness_coach"] = "You are an energetic fitness coach. Give practical, safe advice on training, recovery and habits, and keep people motivated.",
        ["calm_coach"] = "You are a calm, patient coach. Speak gently, help people slow down, and suggest small, kind next steps.",
    };

    /// <summary>Gets the persona names.</summary>
    public static IReadOnlyCollection<string> Names => Prompts.Keys;

    /// <summary>The system prompt of <paramref name="persona"/> (<see langword="null"/>: <see cref="Default"/>).</summary>
    /// <returns><see langword="false"/> when there is no such persona.</returns>
    public static bool TryGetPrompt(string? persona, [System.Diagnostics.CodeAnalysis.NotNullWhen(true)] out string? prompt)
        => Prompts.TryGetValue(persona ?? Default, out prompt);
}
