using Course.Core.Configuration;

namespace Course.Core.Tests;

public class CourseEnvironmentTests
{
    [Fact]
    public void Relative_paths_resolve_against_the_root_and_absolute_paths_stay()
    {
        var course = new CourseEnvironment("/srv/course");

        Assert.Equal("/srv/course/data/hub", course.Resolve("data/hub"));
        Assert.Equal("/var/lib/hidden", course.Resolve("/var/lib/hidden"));
    }

    [Fact]
    public void Discovery_finds_the_repository_from_the_test_output()
    {
        var expected = ContentLoaderTests.RepoRoot();
        Environment.SetEnvironmentVariable(CourseEnvironment.RootVariable, null);

        Assert.Equal(expected, CourseEnvironment.Discover().Root);
    }
}
