using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Bunit;
using Course.Web.Components.Pages;

namespace Course.Web.Tests;

public class LessonPageTests : CourseComponentTest
{
    private IRenderedComponent<LessonPage> RenderLesson(string topic, string slug) =>
        Render<LessonPage>(p => p.Add(l => l.TopicId, topic).Add(l => l.Slug, slug));

    [Fact]
    public void A_lesson_shows_its_body_table_of_contents_and_neighbours()
    {
        var page = RenderLesson("4.1", "libraries");

        Assert.Equal("The libraries", page.Find("h1").TextContent);
        Assert.Contains("Libraries.", page.Find(".lesson-body").TextContent);
        Assert.Contains("Previous lesson: The Hub", page.Find("nav.lesson-pager").InnerHtml);
        Assert.Contains("Next lesson: Auto classes", page.Find("nav.lesson-pager").InnerHtml);

        var hub = RenderLesson("4.1", "hub");
        Assert.Equal(["Model cards", "Dataset cards"], hub.FindAll(".lesson-toc a").Select(a => a.TextContent));
        Assert.Equal("/topics/4.1/hub#model-cards", hub.Find(".lesson-toc a").GetAttribute("href"));
    }

    [Fact]
    public void Visitors_are_invited_to_sign_in_to_track_progress()
    {
        var page = RenderLesson("4.1", "hub");

        Assert.Contains("to keep track of your progress", page.Find(".lesson-completion").TextContent);
        Assert.Empty(page.FindAll(".lesson-completion button"));
    }

    [Fact]
    public async Task A_student_marks_a_lesson_complete_and_the_state_is_saved()
    {
        await AddUserAsync("student-1");
        SignIn("student-1", "Student");
        var page = RenderLesson("4.1", "hub");

        page.WaitForElement(".lesson-completion button").Click();

        page.WaitForAssertion(() => Assert.NotNull(page.Find("[data-testid=lesson-completed]")));
        var again = RenderLesson("4.1", "hub");
        again.WaitForElement("[data-testid=lesson-completed]");
    }

    [Fact]
    public async Task Completing_and_uncompleting_in_two_tabs_at_once_ends_in_the_last_state_without_an_error()
    {
        await AddUserAsync("student-1");
        var progress = Services.GetRequiredService<Course.Web.Features.Lessons.LessonProgressService>();
        var databases = Services.GetRequiredService<IDbContextFactory<Course.Core.Data.CourseDbContext>>();
        await progress.SetCompletedAsync("student-1", "4.1/hub", completed: true);

        // One tab's "not completed" is held at the database while another tab's removes the row first.
        Saves.Hold();
        var first = progress.SetCompletedAsync("student-1", "4.1/hub", completed: false);
        await using (var other = await databases.CreateDbContextAsync())
        {
            await other.LessonCompletions.Where(c => c.UserId == "student-1").ExecuteDeleteAsync();
        }
        Saves.Release();
        await first;
        Assert.Empty(await progress.GetCompletedAsync("student-1"));

        // Both tabs complete it: one row.
        await Task.WhenAll(progress.SetCompletedAsync("student-1", "4.1/hub", true), progress.SetCompletedAsync("student-1", "4.1/hub", true));
        Assert.Equal(["4.1/hub"], await progress.GetCompletedAsync("student-1"));
    }

    [Fact]
    public void Students_keep_the_last_good_version_and_only_instructors_see_the_error()
    {
        var repository = Content;
        Write("4.1-eco/01-hub.md", "4.1", 1, "Broken hub", "::: sidebar\nx\n:::\n");
        repository.Reload();

        var student = RenderLesson("4.1", "hub");
        Assert.Equal("The Hub", student.Find("h1").TextContent);
        Assert.DoesNotContain("content errors", student.Markup);

        SignIn("teacher", "Instructor");
        var instructor = RenderLesson("4.1", "hub");
        Assert.Equal("The Hub", instructor.WaitForElement("h1").TextContent);
        Assert.Contains("topics/4.1-eco/01-hub.md:9: unknown directive 'sidebar'", instructor.Find(".content-errors").TextContent);
    }

    [Fact]
    public void An_unknown_lesson_says_so()
    {
        var page = RenderLesson("4.1", "nope");

        Assert.Contains("There is no such lesson.", page.Markup);
    }
}
