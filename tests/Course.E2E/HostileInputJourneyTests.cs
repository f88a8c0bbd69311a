using Course.Core.Content;
using Course.Core.Data;
using Course.Grading.Queue;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Playwright;
using static Microsoft.Playwright.Assertions;

namespace Course.E2E;

/// <summary>
/// Hostile input through the browser: script links typed into the editor, paths that leave the content folder or
/// end in a newline, a double-clicked submission. Each gets a clear answer, nothing is written or run twice, and
/// the page (its circuit) keeps working; no browser dialog ever opens.
/// </summary>
[Collection(SiteCollection.Name)]
public class HostileInputJourneyTests(SiteFixture site)
{
    private const string Password = "Transformers-2026!";

    private ContentRepository Content => site.Services.GetRequiredService<ContentRepository>();

    [Fact]
    public async Task Script_links_typed_into_the_editor_are_refused_at_their_line_and_the_file_cannot_be_saved()
    {
        var lesson = Content.Current.Lessons[0];
        var path = Path.Combine(site.ContentPath, lesson.SourcePath);
        var onDisk = File.ReadAllText(path);
        await using var instructor = await site.SignInInstructorAsync();
        var dialogs = new List<string>();
        instructor.Page.Dialog += (_, dialog) => { dialogs.Add(dialog.Message); _ = dialog.DismissAsync(); };
        await instructor.GoToAsync($"/instructor/editor?file={Uri.EscapeDataString(lesson.SourcePath)}");
        var editor = instructor.Page.GetByTestId("editor-text");
        await Expect(editor).ToBeEnabledAsync();

        var line = onDisk.TrimEnd().Split('\n').Length + 2;
        await editor.FillAsync(onDisk.TrimEnd() + "\n\n[run me](javascript:alert(1)) [page](data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==) "
            + "[vb](VBScript:msgbox(1)) ![pic](jav&#x09;ascript:alert(1)) <img src=x onerror=alert(1)>\n");

        var errors = instructor.Page.GetByTestId("editor-errors");
        await Expect(errors).ToContainTextAsync($"line {line}: link 'javascript:alert(1)': only http, https, mailto and relative targets are allowed");
        await Expect(errors).ToContainTextAsync("link 'VBScript:msgbox(1)'");
        // The preview keeps showing the last version without errors; nowhere on the page is there a script target.
        Assert.Equal(0, await instructor.Page.Locator("a[href^='javascript' i], a[href^='data' i], a[href^='vbscript' i], img[src^='jav' i], [onerror]").CountAsync());
        await instructor.Page.GetByTestId("editor-save").ClickAsync();
        await Expect(errors).ToContainTextAsync($"line {line}");
        await Expect(instructor.Page.GetByTestId("editor-saved")).ToHaveCountAsync(0);

        Assert.Equal(onDisk, File.ReadAllText(path));
        Assert.Empty(dialogs);
    }

    [Theory]
    [InlineData("../../appsettings.json")]
    [InlineData("quizzes/a.md\n")]
    [InlineData("topics/../../../etc/passwd")]
    [InlineData("/etc/passwd")]
    public async Task Editor_paths_outside_the_content_files_are_refused_and_the_page_keeps_working(string file)
    {
        await using var instructor = await site.SignInInstructorAsync();

        await instructor.GoToAsync($"/instructor/editor?file={Uri.EscapeDataString(file)}");

        await Expect(instructor.Page.GetByText("is not an editable content file")).ToBeVisibleAsync();
        await Expect(instructor.Page.GetByTestId("editor-text")).ToHaveCountAsync(0);
        var lesson = Content.Current.Lessons[0];
        await instructor.GoToAsync($"/instructor/editor?file={Uri.EscapeDataString(lesson.SourcePath)}");
        await Expect(instructor.Page.GetByTestId("editor-text")).ToBeEnabledAsync();
    }

    [Fact]
    public async Task A_double_clicked_submit_makes_one_submission()
    {
        var email = $"dora-{Guid.NewGuid():N}@example.com";
        await using var student = await BrowserSession.OpenAsync(site);
        await student.RegisterAsync(email, Password);
        await student.GoToAsync("/assignments/sentiment");
        await student.OpenTabAsync("Submit");
        await Expect(student.Page.GetByTestId("submission-yaml")).ToHaveValueAsync(new System.Text.RegularExpressions.Regex("model_name_or_path"));

        await student.Page.GetByTestId("submission-submit").DblClickAsync();

        await Expect(student.Page.GetByTestId("submission")).ToHaveCountAsync(1);
        var databases = site.Services.GetRequiredService<IDbContextFactory<CourseDbContext>>();
        await using var db = await databases.CreateDbContextAsync();
        var userId = await db.Users.Where(u => u.Email == email).Select(u => u.Id).SingleAsync();
        var submissions = await db.Submissions.Where(s => s.UserId == userId).ToListAsync();
        Assert.Single(submissions);
        await site.Services.GetRequiredService<SubmissionQueue>().CancelAsync(submissions[0].Id, userId); // no training needed here
    }
}
