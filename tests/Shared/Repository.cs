using NUnit.Framework;

namespace StreamingCore.Testing;

/// <summary>The repository the tests run from (the folder holding StreamingCore.sln).</summary>
internal static class Repository
{
    public static string Root { get; } = FindRoot();

    /// <summary>A path below the repository's root.</summary>
    public static string PathOf(params string[] parts) => Path.Combine([Root, .. parts]);

    private static string FindRoot()
    {
        for (DirectoryInfo? dir = new(TestContext.CurrentContext.TestDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "StreamingCore.sln")))
            {
                return dir.FullName;
            }
        }

        throw new InvalidOperationException("StreamingCore.sln not found above the test directory.");
    }
}
