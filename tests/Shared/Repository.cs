namespace Course.Tests.Shared;

/// <summary>The repository the tests run from: the nearest folder above the test binaries holding Course.sln.</summary>
public static class Repository
{
    public static string Root { get; } = Find();

    private static string Find()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "Course.sln")))
            {
                return dir.FullName;
            }
        }
        throw new InvalidOperationException("Course.sln not found above the test binaries.");
    }
}
