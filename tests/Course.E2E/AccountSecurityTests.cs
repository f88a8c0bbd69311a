using System.Net;
using System.Text.Json;
using Course.Core.Configuration;
using Course.Core.Content;
using Course.Core.Data;
using Course.Grading.Queue;
using Course.Web.Features.Account;
using Course.Web.Features.Assignments;
using Course.Web.Features.People;
using Course.Web.Features.Security;
using Microsoft.AspNetCore.Identity;
using Microsoft.AspNetCore.WebUtilities;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace Course.E2E;

/// <summary>The account hardening at the HTTP level and through the site's own services (ASVS 4.0.3, level 2).</summary>
public sealed class AccountSecurityTests(AccountSite site) : IClassFixture<AccountSite>
{
    private const string Password = "Transformers-2026!";

    private static string NewEmail(string name) => $"{name}-{Guid.NewGuid():N}@example.com";

    [Fact]
    public async Task Signing_out_revokes_the_session_so_a_copied_cookie_stops_working()
    {
        var email = NewEmail("sol");
        await site.AddStudentAsync(email, Password);
        using var owner = site.Session();
        Assert.Equal(HttpStatusCode.Redirect, (await owner.SignInAsync(email, Password)).StatusCode);
        using var thief = site.Session();
        thief.Cookies[HttpSession.AuthenticationCookie] = owner.Cookies[HttpSession.AuthenticationCookie];
        Assert.Equal(HttpStatusCode.OK, (await thief.GetAsync("/Account/Manage")).StatusCode);

        var page = await (await owner.GetAsync("/Account/Manage")).Content.ReadAsStringAsync();
        var signOut = await owner.PostAsync("/Account/Logout", new Dictionary<string, string> { ["__RequestVerificationToken"] = HttpSession.TokenIn(page), ["returnUrl"] = "" });
        var copied = await thief.GetAsync("/Account/Manage");

        Assert.Equal(HttpStatusCode.Redirect, signOut.StatusCode);
        Assert.Equal(HttpStatusCode.Redirect, copied.StatusCode);
        Assert.StartsWith("http://localhost/Account/Login", copied.Headers.Location!.ToString());
    }

    [Fact]
    public async Task The_personal_data_download_needs_the_forms_antiforgery_token()
    {
        var email = NewEmail("pia");
        await site.AddStudentAsync(email, Password);
        using var session = site.Session();
        await session.SignInAsync(email, Password);

        // What a page on another site can send with the visitor's cookies: the post, without this site's token.
        var crossSite = await session.PostAsync("/Account/Manage/DownloadPersonalData", new Dictionary<string, string>());
        var page = await (await session.GetAsync("/Account/Manage/PersonalData")).Content.ReadAsStringAsync();
        var own = await session.PostAsync("/Account/Manage/DownloadPersonalData", new Dictionary<string, string> { ["__RequestVerificationToken"] = HttpSession.TokenIn(page) });

        Assert.Equal(HttpStatusCode.BadRequest, crossSite.StatusCode);
        Assert.DoesNotContain(email, await crossSite.Content.ReadAsStringAsync());
        Assert.Equal(HttpStatusCode.OK, own.StatusCode);
        Assert.Equal("application/json", own.Content.Headers.ContentType!.MediaType);
        Assert.Equal(email, JsonDocument.Parse(await own.Content.ReadAsStringAsync()).RootElement.GetProperty("profile").GetProperty("Email").GetString());
    }

    [Fact]
    public async Task The_generated_instructor_is_kept_in_an_owner_only_file_and_must_choose_a_password_first()
    {
        var file = Path.Combine(site.DataPath, "initial-instructor.txt");
        var lines = File.ReadAllLines(file);
        var (email, generated) = (lines[0]["email: ".Length..], lines[1]["password: ".Length..]);
        Assert.Contains(file, site.FirstStartOutput);
        Assert.DoesNotContain(generated, site.FirstStartOutput);
        Assert.Equal(OwnerOnly.FolderPermissions, File.GetUnixFileMode(site.DataPath));
        Assert.Equal(OwnerOnly.FilePermissions, File.GetUnixFileMode(file));
        Assert.Equal(OwnerOnly.FilePermissions, File.GetUnixFileMode(Path.Combine(site.DataPath, "course.db")));

        using var session = site.Session();
        await session.SignInAsync(email, generated);
        await using (var db = await site.Services.GetRequiredService<IDbContextFactory<CourseDbContext>>().CreateDbContextAsync())
        {
            Assert.NotEmpty(await db.DataProtectionKeys.ToListAsync()); // the key ring is in the database once a cookie has been protected
        }
        Assert.False(Directory.Exists(Path.Combine(site.DataPath, "keys")));
        var home = await session.GetAsync("/");
        var people = await session.GetAsync("/instructor/people");
        var changePage = await session.GetAsync("/Account/Manage");
        var changed = await session.SubmitFormAsync("/Account/Manage", "change-password", new Dictionary<string, string>
        {
            ["Password.OldPassword"] = generated, ["Password.NewPassword"] = Password, ["Password.ConfirmPassword"] = Password,
        });
        var afterwards = await session.GetAsync("/instructor/people");

        Assert.Equal((HttpStatusCode.Redirect, "/Account/Manage"), (home.StatusCode, home.Headers.Location!.ToString()));
        Assert.Equal((HttpStatusCode.Redirect, "/Account/Manage"), (people.StatusCode, people.Headers.Location!.ToString()));
        Assert.Contains("data-testid=\"must-change-password\"", await changePage.Content.ReadAsStringAsync());
        Assert.Equal(HttpStatusCode.Redirect, changed.StatusCode);
        Assert.False(File.Exists(file));
        Assert.Equal(HttpStatusCode.OK, afterwards.StatusCode);
    }

    [Fact]
    public async Task Registration_says_the_same_for_new_and_taken_addresses_and_refuses_common_passwords()
    {
        var email = NewEmail("reg");
        await using var scope = site.Services.CreateAsyncScope();
        var registration = scope.ServiceProvider.GetRequiredService<RegistrationService>();

        var first = await registration.RegisterStudentAsync(email, "Reg", Password, null);
        var again = await registration.RegisterStudentAsync(email, "Someone else", "Another-long-pass-99", null);
        var common = await registration.RegisterStudentAsync(NewEmail("common"), null, "Password1!", null);
        var tooShort = await registration.RegisterStudentAsync(NewEmail("short"), null, "tulip-quartz", null);

        Assert.Empty(first);
        Assert.Empty(again);
        var users = scope.ServiceProvider.GetRequiredService<UserManager<CourseUser>>();
        var account = await users.FindByEmailAsync(email);
        Assert.Equal("Reg", account!.DisplayName);
        Assert.True(await users.CheckPasswordAsync(account, Password));
        Assert.Equal(
            ["Passwords must be at least 12 characters.", "This password is one of the most commonly used ones; choose something others would not guess, such as a few unrelated words."],
            common);
        Assert.Empty(tooShort); // 12 characters, not on the list: no composition rules
    }

    [Fact]
    public async Task Reset_links_last_24_hours_work_once_are_superseded_by_a_newer_one_and_are_audited()
    {
        var student = await site.AddStudentAsync(NewEmail("rex"), Password);
        var actor = await site.AddStudentAsync(NewEmail("teacher"), Password);
        await using var scope = site.Services.CreateAsyncScope();
        var people = scope.ServiceProvider.GetRequiredService<PeopleService>();
        var accounts = scope.ServiceProvider.GetRequiredService<AccountService>();
        var siteBase = new Uri("http://localhost/");

        var superseded = CodeOf(await people.CreatePasswordResetLinkAsync(actor.Id, student.Id, siteBase));
        var current = CodeOf(await people.CreatePasswordResetLinkAsync(actor.Id, student.Id, siteBase));

        Assert.Equal(AccountService.InvalidResetLink, await accounts.ResetPasswordAsync(student.Email!, superseded, "First-new-password-1"));
        Assert.Equal(AccountService.InvalidResetLink, await accounts.ResetPasswordAsync("nobody@example.com", current, "First-new-password-1"));
        Assert.Null(await accounts.ResetPasswordAsync(student.Email!, current, "First-new-password-1"));
        Assert.Equal(AccountService.InvalidResetLink, await accounts.ResetPasswordAsync(student.Email!, current, "Second-new-password-2"));
        var users = scope.ServiceProvider.GetRequiredService<UserManager<CourseUser>>();
        Assert.True(await users.CheckPasswordAsync((await users.FindByIdAsync(student.Id))!, "First-new-password-1"));
        Assert.Equal(TimeSpan.FromHours(24), scope.ServiceProvider.GetRequiredService<IOptions<DataProtectionTokenProviderOptions>>().Value.TokenLifespan);
        Assert.Equal(
            [("account.reset-link", "password-reset link issued, valid 24 h"), ("account.reset-link", "password-reset link issued, valid 24 h")],
            await AuditAsync(student.Id, actor.Id));
    }

    [Fact]
    public async Task Role_changes_and_unlocks_are_written_to_the_audit_trail()
    {
        var student = await site.AddStudentAsync(NewEmail("ria"), Password);
        var actor = await site.AddStudentAsync(NewEmail("boss"), Password);
        await using var scope = site.Services.CreateAsyncScope();
        var people = scope.ServiceProvider.GetRequiredService<PeopleService>();

        await people.SetInstructorAsync(actor.Id, student.Id, instructor: true);
        await people.SetInstructorAsync(actor.Id, student.Id, instructor: false);
        await people.UnlockAsync(actor.Id, student.Id);

        Assert.Equal([("account.role", "made an instructor"), ("account.role", "made a student"), ("account.unlock", "unlocked")], await AuditAsync(student.Id, actor.Id));
    }

    [Fact]
    public async Task The_export_holds_attempts_answers_and_submissions_and_deletion_removes_them_with_the_kept_weights()
    {
        var student = await site.AddStudentAsync(NewEmail("del"), Password);
        var submissionId = await AddWorkAsync(student.Id);
        var certificateId = Guid.NewGuid().ToString("N");
        await using (var work = await site.Services.GetRequiredService<IDbContextFactory<CourseDbContext>>().CreateDbContextAsync())
        {
            work.Certificates.Add(new Certificate
            {
                Id = certificateId, UserId = student.Id, ModuleId = "module-4", ModuleTitle = "Working with Hugging Face Transformers", StudentName = "Del",
                AchievementsJson = """[{"requirement":"Lessons completed (required: 100 %)","result":"24 of 24"}]""", IssuedAt = DateTimeOffset.UtcNow,
                KeyId = "p256-0000000000000000", Signature = "not-checked-by-the-export",
            });
            await work.SaveChangesAsync();
        }
        var weights = Path.Combine(site.DataPath, "hub", "submissions", $"submission-{submissionId}");
        Directory.CreateDirectory(weights);
        File.WriteAllText(Path.Combine(weights, "model.safetensors"), "weights");
        await using var scope = site.Services.CreateAsyncScope();
        var personalData = scope.ServiceProvider.GetRequiredService<PersonalDataService>();
        await using (var seed = await scope.ServiceProvider.GetRequiredService<IDbContextFactory<CourseDbContext>>().CreateDbContextAsync())
        {
            seed.ModelPublications.Add(new ModelPublication
            {
                SubmissionId = submissionId, UserId = student.Id, AssignmentId = "sentiment", IntendedUse = "Reviews.", Limitations = "Few rows.", PublishedAt = DateTimeOffset.UtcNow,
            });
            await seed.SaveChangesAsync();
        }

        var export = JsonDocument.Parse(await personalData.ExportAsync(student)).RootElement;
        var deleted = await personalData.DeleteAsync(student);

        var attempt = export.GetProperty("quiz_attempts").EnumerateArray().Single();
        Assert.Equal(("module", 1, 2.0), (attempt.GetProperty("quiz").GetString(), attempt.GetProperty("number").GetInt32(), attempt.GetProperty("points").GetDouble()));
        Assert.Equal("b", attempt.GetProperty("answers").GetProperty("1").GetProperty("options")[0].GetString());
        var submission = export.GetProperty("submissions").EnumerateArray().Single();
        Assert.Equal(("num_train_epochs: 1\n", 0.75, $"submissions/submission-{submissionId}"),
            (submission.GetProperty("config").GetString(), submission.GetProperty("metrics").GetProperty("eval_f1").GetDouble(), submission.GetProperty("kept_model").GetString()));
        Assert.Equal("The neutral row holds most errors.", submission.GetProperty("report").GetString());
        var reportGrade = submission.GetProperty("report_grade");
        var sentiment = site.Services.GetRequiredService<ContentRepository>().Current.FindAssignment("sentiment")!.Rules.Report!;
        Assert.Equal(["confusion-matrix", "next-steps"], reportGrade.GetProperty("items").EnumerateArray().Select(i => i.GetProperty("id").GetString()!));
        Assert.Equal(sentiment.Item("confusion-matrix")!.Points + sentiment.Item("next-steps")!.Points, reportGrade.GetProperty("points").GetDouble());
        Assert.Equal("Good reading of the matrix.", reportGrade.GetProperty("comment").GetString());
        Assert.Equal("I did propose a next step.", submission.GetProperty("regrade_requests").EnumerateArray().Single().GetProperty("reason").GetString());
        var publication = submission.GetProperty("model_publication");
        Assert.Equal(("Reviews.", "Few rows.", JsonValueKind.Null), (publication.GetProperty("intended_use").GetString(), publication.GetProperty("limitations").GetString(),
            publication.GetProperty("unpublished_at").ValueKind));
        // Before the due date the export holds back the hidden split's figures, as the pages do.
        Assert.Equal(System.Text.Json.JsonValueKind.Null, submission.GetProperty("private_score").ValueKind);
        Assert.DoesNotContain(submission.GetProperty("metrics").EnumerateObject(), m => m.Name.StartsWith("test_", StringComparison.Ordinal));
        var certificate = export.GetProperty("certificates").EnumerateArray().Single();
        Assert.Equal((certificateId, "24 of 24"), (certificate.GetProperty("id").GetString(), certificate.GetProperty("achievements")[0].GetProperty("result").GetString()));
        Assert.True(deleted.Succeeded);
        Assert.False(Directory.Exists(weights));
        await using var db = await scope.ServiceProvider.GetRequiredService<IDbContextFactory<CourseDbContext>>().CreateDbContextAsync();
        Assert.Equal((0, 0, 0, 0, 0), (await db.QuizAttempts.CountAsync(a => a.UserId == student.Id), await db.Submissions.CountAsync(s => s.UserId == student.Id),
            await db.ReportRegradeRequests.CountAsync(r => r.UserId == student.Id), await db.ModelPublications.CountAsync(p => p.UserId == student.Id),
            await db.Certificates.CountAsync(c => c.UserId == student.Id)));
    }

    [Fact]
    public async Task Submissions_past_the_rate_limit_are_refused_with_how_long_to_wait()
    {
        var student = await site.AddStudentAsync(NewEmail("sub"), Password);
        await using var scope = site.Services.CreateAsyncScope();
        scope.ServiceProvider.GetRequiredService<ClientConnection>().Address = "203.0.113.9";
        var assignments = scope.ServiceProvider.GetRequiredService<AssignmentService>();
        var assignment = assignments.All.First(a => !(a.Rules.Due <= DateTimeOffset.UtcNow) && !(a.Rules.Opens > DateTimeOffset.UtcNow)); // open now
        var yaml = await File.ReadAllTextAsync(assignment.StarterPath);

        await assignments.SubmitAsync(student.Id, assignment, yaml, "first");
        await assignments.SubmitAsync(student.Id, assignment, yaml, "second");
        var refused = await Assert.ThrowsAsync<SubmissionRefusedException>(() => assignments.SubmitAsync(student.Id, assignment, yaml, "third"));

        // The site's own clock runs: the wait is the 600 s window less the seconds the first two submissions took.
        var wait = System.Text.RegularExpressions.Regex.Match(refused.Message, @"^Too many submissions; try again in (\d+) s\.$");
        Assert.True(wait.Success, refused.Message);
        Assert.InRange(int.Parse(wait.Groups[1].Value), 590, 600);
    }

    [Fact]
    public async Task Kept_submission_models_stay_out_of_the_hub_for_visitors_even_once_their_student_published_one()
    {
        var student = await site.AddStudentAsync(NewEmail("hub"), Password);
        var submissionId = await AddWorkAsync(student.Id);
        var id = $"submissions/submission-{submissionId}";
        var folder = Path.Combine(site.DataPath, "hub", "submissions", $"submission-{submissionId}");
        Directory.CreateDirectory(folder);
        File.WriteAllText(Path.Combine(folder, "README.md"), $"---\npipeline_tag: text-classification\n---\n# {id}\n");
        using var visitor = site.Session();

        var listed = await (await visitor.GetAsync("/hub")).Content.ReadAsStringAsync();
        await using (var db = await site.Services.GetRequiredService<IDbContextFactory<CourseDbContext>>().CreateDbContextAsync())
        {
            // As the student's Publish leaves it (the rules are ModelSharingTests'): shared with signed-in classmates only.
            db.ModelPublications.Add(new ModelPublication
            {
                SubmissionId = submissionId, UserId = student.Id, AssignmentId = "sentiment", IntendedUse = "Reviews.", Limitations = "Few rows.", PublishedAt = DateTimeOffset.UtcNow,
            });
            await db.SaveChangesAsync();
        }
        var listedAfter = await (await visitor.GetAsync("/hub")).Content.ReadAsStringAsync();
        var card = await (await visitor.GetAsync($"/hub/models/{id}")).Content.ReadAsStringAsync();

        Assert.Contains("data-testid=\"hub-models\"", listed);
        Assert.DoesNotContain(id, listed);
        Assert.Contains("data-testid=\"hub-models\"", listedAfter);
        Assert.DoesNotContain(id, listedAfter);
        Assert.Contains(WebUtility.HtmlEncode($"There is no model '{id}' in the local hub.").Replace("&#39;", "&#x27;"), card);
    }

    private static string CodeOf(string link) => QueryHelpers.ParseQuery(new Uri(link).Query)["code"].ToString();

    private async Task<List<(string Action, string Details)>> AuditAsync(string subjectId, string actorId)
    {
        await using var db = await site.Services.GetRequiredService<IDbContextFactory<CourseDbContext>>().CreateDbContextAsync();
        return (await db.AuditEntries.Where(e => e.SubjectUserId == subjectId && e.ActorUserId == actorId).OrderBy(e => e.Id).ToListAsync())
            .Select(e => (e.Action, e.Details)).ToList();
    }

    /// <summary>
    /// One submitted quiz attempt with an answer and one graded submission with kept weights, a graded report and a
    /// regrade request; returns the submission's id.
    /// </summary>
    private async Task<long> AddWorkAsync(string userId)
    {
        await using var db = await site.Services.GetRequiredService<IDbContextFactory<CourseDbContext>>().CreateDbContextAsync();
        db.QuizAttempts.Add(new QuizAttempt
        {
            UserId = userId, QuizId = "module", Number = 1, QuizVersion = "v", QuizJson = "{}", State = AttemptState.Submitted,
            AnswersJson = """{"1":{"options":["b"],"text":null}}""", Points = 2, MaxPoints = 3,
        });
        var submission = new Submission
        {
            UserId = userId, AssignmentId = "sentiment", ConfigYaml = "num_train_epochs: 1\n", IdempotencyKey = Guid.NewGuid().ToString("N"),
            Status = SubmissionStatus.Succeeded, KeepWeights = true, PublicScore = 0.75, PrivateScore = 0.6125, Grade = 30,
            Report = "The neutral row holds most errors.", ReportItems = "confusion-matrix next-steps", ReportComment = "Good reading of the matrix.",
            ReportGradedAt = DateTimeOffset.UtcNow, ReportGradedByUserId = userId,
            ResultJson = new Course.Grading.GradingResult(new Dictionary<string, double> { ["eval_f1"] = 0.75, ["test_f1"] = 0.6125 }, 0.75, 0.6125, 30,
                new Course.Grading.Receipt(42, 2, "m", new Dictionary<string, string> { ["train"] = "a", [Course.Grading.GradingResult.HiddenSplitKey] = "b" }, "c",
                    new Dictionary<string, string>(), "cpu", 1)).ToJson(),
        };
        db.Submissions.Add(submission);
        await db.SaveChangesAsync();
        db.ReportRegradeRequests.Add(new ReportRegradeRequest
        {
            SubmissionId = submission.Id, UserId = userId, Reason = "I did propose a next step.", CreatedAt = DateTimeOffset.UtcNow,
        });
        await db.SaveChangesAsync();
        return submission.Id;
    }
}
