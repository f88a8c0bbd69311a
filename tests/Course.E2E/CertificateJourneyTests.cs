using Course.Core.Content;
using Course.Core.Data;
using Course.Web.Features.Certificates;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Playwright;
using static Microsoft.Playwright.Assertions;

namespace Course.E2E;

[Collection(SiteCollection.Name)]
public class CertificateJourneyTests(SiteFixture site)
{
    private const string Password = "Transformers-2026!";

    [Fact]
    public async Task A_student_meeting_the_policy_gets_the_certificate_page_and_pdf_whose_public_link_verifies_through_rotation_and_revocation_until_tampered_with()
    {
        var content = site.Services.GetRequiredService<ContentRepository>().Current;
        Assert.NotNull(content.Module.Certificate);
        var databases = site.Services.GetRequiredService<IDbContextFactory<CourseDbContext>>();
        // Assignment grades count once the due date has passed (they come from the hidden split): the site's clock is
        // moved past every due date for the whole journey, so the cookies it issues stay valid throughout.
        site.Clock.Offset = content.Assignments.Max(a => a.Rules.Due!.Value) - DateTimeOffset.UtcNow + TimeSpan.FromDays(1);
        try
        {
            var email = $"cora-{Guid.NewGuid():N}@example.com";
            await using var student = await BrowserSession.OpenAsync(site);
            await student.RegisterAsync(email, Password);
            await student.GoToAsync("/certificate");
            await Expect(student.Page.GetByTestId("certificate-not-yet")).ToBeVisibleAsync();
            await Expect(student.Page.GetByTestId("certificate-issue")).ToHaveCountAsync(0);

            // The record module.yaml's policy asks for, written as the site's own services would leave it: every lesson
            // completed, every graded quiz taken with full marks, every assignment graded 100 (quizzes and training
            // runs have journeys of their own).
            await using (var db = await databases.CreateDbContextAsync())
            {
                var user = await db.Users.SingleAsync(u => u.Email == email);
                user.DisplayName = "Cora Certified";
                var now = site.Clock.GetUtcNow();
                db.LessonCompletions.AddRange(content.Lessons.Select(l => new LessonCompletion { UserId = user.Id, LessonId = l.Id, CompletedAt = now }));
                db.QuizAttempts.AddRange(content.GradedQuizzes.Select(q => new QuizAttempt
                {
                    UserId = user.Id, QuizId = q.Id, Number = 1, QuizVersion = q.Version,
                    // Pinned as the quiz service pins it: the instructor's statistics read it back (a shared site).
                    QuizJson = System.Text.Json.JsonSerializer.Serialize(q, new System.Text.Json.JsonSerializerOptions(System.Text.Json.JsonSerializerDefaults.Web)), StartedAt = now, SubmittedAt = now,
                    State = AttemptState.Submitted, Points = 10, MaxPoints = 10,
                }));
                db.Submissions.AddRange(content.Assignments.Select(a => new Submission
                {
                    UserId = user.Id, AssignmentId = a.Id, ConfigYaml = $"task: {a.Rules.Task}", IdempotencyKey = Guid.NewGuid().ToString("N"),
                    Status = SubmissionStatus.Succeeded, CreatedAt = now, FinishedAt = now, PublicScore = 0.9, PrivateScore = 0.9, Grade = 100,
                }));
                await db.SaveChangesAsync();
            }

            await student.GoToAsync("/certificate");
            var requirements = student.Page.GetByTestId("certificate-requirements").Locator("tbody tr");
            await Expect(requirements).ToHaveCountAsync(1 + content.GradedQuizzes.Count + content.Assignments.Count);
            await Expect(student.Page.GetByTestId("certificate-requirements").Locator("tbody tr[data-met=false]")).ToHaveCountAsync(0);
            await student.Page.GetByTestId("certificate-issue").ClickAsync();
            await Expect(student.Page.GetByTestId("certificate-issued")).ToContainTextAsync("to Cora Certified");

            Certificate issued;
            await using (var db = await databases.CreateDbContextAsync())
            {
                issued = await db.Certificates.AsNoTracking().SingleAsync(c => c.StudentName == "Cora Certified");
            }
            var link = CertificateUrls.Verification(site.BaseUrl, issued.Id, issued.Signature);
            await Expect(student.Page.GetByTestId("certificate-verify-link")).ToHaveAttributeAsync("href", link);

            var download = await student.Page.RunAndWaitForDownloadAsync(() => student.Page.GetByTestId("certificate-pdf").ClickAsync());
            var pdf = System.Text.Encoding.Latin1.GetString(await File.ReadAllBytesAsync((await download.PathAsync())!));
            Assert.StartsWith("%PDF-", pdf);
            Assert.Contains($"/URI ({link})", pdf);
            Assert.Contains("(Cora Certified) Tj", pdf);

            // Anyone with the link, signed in or not, sees it valid, with what was achieved.
            await using var visitor = await BrowserSession.OpenAsync(site);
            await visitor.GoToAsync(link[site.BaseUrl.TrimEnd('/').Length..]);
            await Expect(visitor.Page.GetByTestId("certificate-verdict")).ToContainTextAsync($"Valid: the platform issued this certificate, and its signature (key {issued.KeyId})");
            await Expect(visitor.Page.GetByTestId("certificate-name")).ToHaveTextAsync("Cora Certified");
            await Expect(visitor.Page.GetByTestId("certificate-achievements").Locator("tbody tr")).ToHaveCountAsync(1 + content.GradedQuizzes.Count + content.Assignments.Count);

            // An instructor rotates the signing key: the certificate the old key signed still verifies.
            await using var instructor = await site.SignInInstructorAsync();
            await instructor.GoToAsync("/instructor/certificates");
            await Expect(instructor.Page.Locator($"[data-testid=certificate-keys] tr[data-key='{issued.KeyId}']")).ToContainTextAsync("signs new certificates");
            await instructor.Page.GetByTestId("certificate-rotate").ClickAsync();
            await Expect(instructor.Page.Locator($"[data-testid=certificate-keys] tr[data-key='{issued.KeyId}']")).ToContainTextAsync("rotated out");
            await visitor.GoToAsync(link[site.BaseUrl.TrimEnd('/').Length..]);
            await Expect(visitor.Page.GetByTestId("certificate-verdict")).ToContainTextAsync("Valid:");

            // Revoking the old key (say it leaked) makes the certificate not valid until the student signs it again.
            var oldKey = instructor.Page.Locator($"[data-testid=certificate-keys] tr[data-key='{issued.KeyId}']");
            await oldKey.GetByTestId("certificate-revoke").ClickAsync();
            await oldKey.GetByTestId("certificate-revoke-confirm").ClickAsync();
            await Expect(oldKey).ToContainTextAsync("revoked");
            await visitor.GoToAsync(link[site.BaseUrl.TrimEnd('/').Length..]);
            await Expect(visitor.Page.GetByTestId("certificate-verdict")).ToHaveTextAsync($"Not valid: The key that signed it ({issued.KeyId}) was revoked on {site.Clock.GetUtcNow():yyyy-MM-dd}.");
            await student.GoToAsync("/certificate");
            await student.Page.GetByTestId("certificate-sign-again").ClickAsync();
            await Expect(student.Page.GetByTestId("certificate-key-revoked")).ToHaveCountAsync(0);
            await using (var db = await databases.CreateDbContextAsync())
            {
                issued = await db.Certificates.AsNoTracking().SingleAsync(c => c.Id == issued.Id);
            }
            link = CertificateUrls.Verification(site.BaseUrl, issued.Id, issued.Signature);
            await Expect(student.Page.GetByTestId("certificate-verify-link")).ToHaveAttributeAsync("href", link);
            await visitor.GoToAsync(link[site.BaseUrl.TrimEnd('/').Length..]);
            await Expect(visitor.Page.GetByTestId("certificate-verdict")).ToContainTextAsync($"Valid: the platform issued this certificate, and its signature (key {issued.KeyId})");

            // A tampered signature, then a tampered certificate (the name in its row), is not valid.
            var path = $"/certificates/{issued.Id}?sig=";
            await visitor.GoToAsync(path + (issued.Signature[0] == 'A' ? "B" : "A") + issued.Signature[1..]);
            await Expect(visitor.Page.GetByTestId("certificate-verdict")).ToHaveTextAsync("Not valid: The signature does not match the certificate: it was altered.");
            await using (var db = await databases.CreateDbContextAsync())
            {
                await db.Certificates.Where(c => c.Id == issued.Id).ExecuteUpdateAsync(u => u.SetProperty(c => c.StudentName, "Mallory"));
            }
            await visitor.GoToAsync(path + issued.Signature);
            await Expect(visitor.Page.GetByTestId("certificate-verdict")).ToHaveTextAsync("Not valid: The signature does not match the certificate: it was altered.");
            await Expect(visitor.Page.GetByTestId("certificate-name")).ToHaveCountAsync(0);
        }
        finally
        {
            site.Clock.Offset = TimeSpan.Zero;
        }
    }
}
