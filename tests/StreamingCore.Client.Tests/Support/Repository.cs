using NUnit.Framework;

namespace StreamingCore.Client.Tests.Support;

/// <summary>Files of the repository the tests run from (the folder holding StreamingCore.sln).</summary>
internal static class Repository
{
    public static string Root { get; } = FindRoot();

    public static string File(params string[] parts) => Path.Combine([Root, .. parts]);

    private static string FindRoot()
    {
        for (DirectoryInfo? dir = new(TestContext.CurrentContext.TestDirectory); dir is not null; dir = dir.Parent)
        {
            if (System.IO.File.Exists(Path.Combine(dir.FullName, "StreamingCore.sln")))
            {
                return dir.FullName;
            }
        }

        throw new InvalidOperationException("StreamingCore.sln not found above the test directory.");
    }
}
