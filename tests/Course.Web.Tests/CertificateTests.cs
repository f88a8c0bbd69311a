using System.Text;
using Course.Core.Data;
using Course.Web.Features.Certificates;
using Microsoft.AspNetCore.DataProtection;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;

namespace Course.Web.Tests;

/// <summary>
/// Certificates on a module of three lessons, the graded quiz of <see cref="QuizTest"/> (4 points) and the "reviews" assignment (pass: 50 points, due
/// 2030-01-01): the policy, issuing, signing and verification, rotation and revocation, and the PDF.
/// </summary>
public class CertificateTests : QuizTest
{
    private const string Policy = """
        certificate:
          lessons: 100
          quiz_grade: 60
          assignments: [reviews]
        """;

    private static readonly string[] Lessons = ["4.1/hub", "4.1/libraries", "4.2/auto-classes"];

    private readonly IDataProtectionProvider protection = new EphemeralDataProtectionProvider();

    public CertificateTests()
    {
        ReviewsAssignment.Write(ContentRoot);
        var module = Path.Combine(ContentRoot, "module.yaml");
        File.WriteAllText(module, File.ReadAllText(module) + "\n" + Policy.Replace("\r\n", "\n") + "\n");
        WriteQuiz("eco.md", QuizText);
    }

    private IDbContextFactory<CourseDbContext> Databases => Services.GetRequiredService<IDbContextFactory<CourseDbContext>>();

    private CertificateKeyRing Keys => new(Databases, protection, Clock);

    private CertificateService Certificates => new(Databases, Content, Keys, Clock);

    private static readonly DateTimeOffset AfterDue = ReviewsAssignment.Due.AddDays(1);

    /// <summary>A student with <paramref name="lessons"/> lessons completed, a quiz attempt scoring <paramref name="quizPercent"/> and a graded submission.</summary>
    private async Task AddStudentAsync(string userId, int lessons = 3, double? quizPercent = 75, double? grade = 62.5, string? displayName = "Ada Lovelace")
    {
        await AddUserAsync(userId);
        await using var db = await Databases.CreateDbContextAsync();
        (await db.Users.SingleAsync(u => u.Id == userId)).DisplayName = displayName;
        db.LessonCompletions.AddRange(Lessons.Take(lessons).Select(id => new LessonCompletion { UserId = userId, LessonId = id, CompletedAt = Clock.GetUtcNow() }));
        if (quizPercent is { } percent)
        {
            db.QuizAttempts.Add(new QuizAttempt
            {
                UserId = userId, QuizId = "quiz-eco", Number = 1, QuizVersion = "v1", QuizJson = "{}", StartedAt = Clock.GetUtcNow(),
                SubmittedAt = Clock.GetUtcNow(), State = AttemptState.Submitted, Points = percent / 25, MaxPoints = 4,
            });
        }
        if (grade is { } points)
        {
            db.Submissions.Add(new Submission
            {
                UserId = userId, AssignmentId = "reviews", ConfigYaml = "task: text-classification", IdempotencyKey = Guid.NewGuid().ToString("N"),
                Status = SubmissionStatus.Succeeded, CreatedAt = Clock.GetUtcNow(), FinishedAt = Clock.GetUtcNow(), PublicScore = 0.8, PrivateScore = 0.75, Grade = points,
            });
        }
        await db.SaveChangesAsync();
    }

    [Fact]
    public async Task Each_requirement_reads_what_the_student_has_and_is_met_only_at_its_threshold()
    {
        await AddStudentAsync("nothing", lessons: 0, quizPercent: null, grade: null);
        await AddStudentAsync("everything");
        await AddStudentAsync("low-quiz", quizPercent: 50);
        await AddStudentAsync("failed", grade: 40);
        await AddStudentAsync("two-lessons", lessons: 2);

        var before = await Certificates.StandingAsync("everything");
        Clock.SetUtcNow(AfterDue);

        Assert.Equal([
            new("Lessons completed (required: 100 %)", "0 of 3", false),
            new("Quiz: Ecosystem quiz (required: 60 %)", "not taken", false),
            new("Assignment: Reviews (pass: 50 points)", "no graded submission", false)], (await Certificates.StandingAsync("nothing")).Requirements);
        var everything = await Certificates.StandingAsync("everything");
        Assert.Equal([
            new("Lessons completed (required: 100 %)", "3 of 3", true),
            new("Quiz: Ecosystem quiz (required: 60 %)", "75 %", true),
            new("Assignment: Reviews (pass: 50 points)", "62.5 / 100 points", true)], everything.Requirements);
        Assert.True(everything.Met);
        // Before the due date the grade (from the hidden split) is not shown, so it cannot count yet.
        Assert.Equal((false, new CertificateRequirement("Assignment: Reviews (pass: 50 points)", "graded after the due date, 2030-01-01", false)),
            (before.Met, before.Requirements[2]));
        Assert.Equal([true, false, true], (await Certificates.StandingAsync("low-quiz")).Requirements.Select(r => r.Met));
        Assert.Equal([true, true, false], (await Certificates.StandingAsync("failed")).Requirements.Select(r => r.Met));
        Assert.Equal(new CertificateRequirement("Lessons completed (required: 100 %)", "2 of 3", false), (await Certificates.StandingAsync("two-lessons")).Requirements[0]);
    }

    [Fact]
    public async Task A_partial_lesson_share_and_no_quiz_requirement_count_as_the_policy_says()
    {
        var module = Path.Combine(ContentRoot, "module.yaml");
        File.WriteAllText(module, File.ReadAllText(module).Replace("lessons: 100", "lessons: 60").Replace("quiz_grade: 60", "quiz_grade: 0"));
        Content.Reload();
        await AddStudentAsync("two-lessons", lessons: 2, quizPercent: null);
        Clock.SetUtcNow(AfterDue);

        var standing = await Certificates.StandingAsync("two-lessons");

        Assert.Equal([
            new("Lessons completed (required: 60 %)", "2 of 3", true),
            new("Assignment: Reviews (pass: 50 points)", "62.5 / 100 points", true)], standing.Requirements);
        Assert.True(standing.Met);
    }

    [Fact]
    public async Task Issuing_is_refused_with_what_is_missing_then_happens_once_however_often_it_is_asked()
    {
        await AddStudentAsync("ada", quizPercent: 50);
        Clock.SetUtcNow(AfterDue);

        var refused = await Assert.ThrowsAsync<CertificateRefusedException>(() => Certificates.IssueAsync("ada"));
        Assert.Equal("Not every requirement is met yet: Quiz: Ecosystem quiz (required: 60 %): 50 %.", refused.Message);

        await using (var db = await Databases.CreateDbContextAsync())
        {
            db.QuizAttempts.Add(new QuizAttempt
            {
                UserId = "ada", QuizId = "quiz-eco", Number = 2, QuizVersion = "v1", QuizJson = "{}", StartedAt = Clock.GetUtcNow(),
                SubmittedAt = Clock.GetUtcNow(), State = AttemptState.Submitted, Points = 4, MaxPoints = 4,
            });
            await db.SaveChangesAsync();
        }
        var first = await Certificates.IssueAsync("ada");
        Clock.Advance(TimeSpan.FromDays(3));
        var again = await Certificates.IssueAsync("ada");

        Assert.Equal(first.Id, again.Id);
        Assert.Equal(first.Signature, again.Signature);
        Assert.Equal(("Ada Lovelace", "m", "Working with Transformers", new DateOnly(2030, 1, 2)),
            (first.StudentName, first.ModuleId, first.ModuleTitle, CertificateContent.IssuedOnOf(first.IssuedAt)));
        await using var check = await Databases.CreateDbContextAsync();
        Assert.Equal(1, await check.Certificates.CountAsync());
        Assert.Equal(first.Id, (await Certificates.StandingAsync("ada")).Issued!.Id);
    }

    [Fact]
    public async Task The_name_on_the_certificate_is_the_e_mail_address_without_a_display_name()
    {
        await AddStudentAsync("grace", displayName: null);
        Clock.SetUtcNow(AfterDue);

        Assert.Equal("grace@example.com", (await Certificates.IssueAsync("grace")).StudentName);
    }

    [Fact]
    public async Task A_signature_verifies_its_content_and_no_other()
    {
        await using var db = await Databases.CreateDbContextAsync();
        var keys = Keys;
        var key = await keys.ActiveAsync(db);
        var content = new CertificateContent("0123456789abcdef0123456789abcdef", "Ada Lovelace", "m", "Working with Transformers",
            [new("Lessons completed", "3 of 3"), new("Quiz", "75 %")], new DateOnly(2030, 1, 2), key.Id);
        var signature = keys.Sign(key, content.Canonical());

        Assert.Equal(64, signature.Length);
        Assert.True(CertificateKeyRing.Verify(key, content.Canonical(), signature));
        CertificateContent[] altered =
        [
            content with { Id = "0123456789abcdef0123456789abcdee" },
            content with { StudentName = "Ada Lovelace " },
            content with { ModuleId = "n" },
            content with { ModuleTitle = "Working with transformers" },
            content with { Achievements = [new("Lessons completed", "3 of 3"), new("Quiz", "95 %")] },
            content with { Achievements = [new("Lessons completed", "3 of 3")] },
            content with { IssuedOn = new DateOnly(2030, 1, 1) },
            content with { KeyId = "p256-0000000000000000" },
        ];
        Assert.All(altered, a => Assert.False(CertificateKeyRing.Verify(key, a.Canonical(), signature)));
        var flipped = signature.ToArray();
        flipped[10] ^= 1;
        Assert.False(CertificateKeyRing.Verify(key, content.Canonical(), flipped));
    }

    [Fact]
    public async Task The_private_key_is_stored_encrypted_by_the_sites_data_protection()
    {
        await using var db = await Databases.CreateDbContextAsync();
        var key = await Keys.ActiveAsync(db);

        // PKCS#8 DER starts with a SEQUENCE (0x30); the protected form is data protection's payload (magic header 0x09F0C9F0).
        Assert.Equal([0x09, 0xF0, 0xC9, 0xF0], key.ProtectedPrivateKey[..4]);
        var stranger = new CertificateKeyRing(Databases, new EphemeralDataProtectionProvider(), Clock);
        Assert.ThrowsAny<System.Security.Cryptography.CryptographicException>(() => stranger.Sign(key, [1, 2, 3]));
    }

    [Theory]
    [InlineData("StudentName")]
    [InlineData("ModuleId")]
    [InlineData("ModuleTitle")]
    [InlineData("Achievements")]
    [InlineData("Achievements-not-json")]
    [InlineData("IssuedAt")]
    [InlineData("Signature")]
    [InlineData("Signature-not-base64url")]
    [InlineData("Another-certificate's-signature")]
    public async Task The_verification_rejects_a_tampered_certificate(string tampered)
    {
        await AddStudentAsync("ada");
        await AddStudentAsync("bob", displayName: "Bob");
        Clock.SetUtcNow(AfterDue);
        var certificate = await Certificates.IssueAsync("ada");
        var other = await Certificates.IssueAsync("bob");
        Assert.True((await Certificates.VerifyAsync(certificate.Id, certificate.Signature)).Valid);

        var signature = certificate.Signature;
        await using (var db = await Databases.CreateDbContextAsync())
        {
            var row = db.Certificates.Where(c => c.Id == certificate.Id);
            switch (tampered)
            {
                case "StudentName": await row.ExecuteUpdateAsync(u => u.SetProperty(c => c.StudentName, "Ada Byron")); break;
                case "ModuleId": await row.ExecuteUpdateAsync(u => u.SetProperty(c => c.ModuleId, "module-5")); break;
                case "ModuleTitle": await row.ExecuteUpdateAsync(u => u.SetProperty(c => c.ModuleTitle, "Advanced Transformers")); break;
                case "Achievements": await row.ExecuteUpdateAsync(u => u.SetProperty(c => c.AchievementsJson, certificate.AchievementsJson.Replace("62.5 / 100", "92.5 / 100"))); break;
                case "Achievements-not-json": await row.ExecuteUpdateAsync(u => u.SetProperty(c => c.AchievementsJson, "all passed")); break;
                case "IssuedAt": await row.ExecuteUpdateAsync(u => u.SetProperty(c => c.IssuedAt, certificate.IssuedAt.AddDays(-400))); break;
                case "Signature": signature = (signature[0] == 'A' ? "B" : "A") + signature[1..]; break;
                case "Signature-not-base64url": signature = signature[..^2] + "*="; break;
                case "Another-certificate's-signature": signature = other.Signature; break;
            }
        }

        var verification = await Certificates.VerifyAsync(certificate.Id, signature);

        Assert.Equal((false, null, "The signature does not match the certificate: it was altered."), (verification.Valid, verification.Content, verification.Problem));
        Assert.True((await Certificates.VerifyAsync(other.Id, other.Signature)).Valid);
    }

    [Fact]
    public async Task An_unknown_id_or_a_link_without_signature_is_not_valid()
    {
        await AddStudentAsync("ada");
        Clock.SetUtcNow(AfterDue);
        var certificate = await Certificates.IssueAsync("ada");

        Assert.Equal("No certificate has this id.", (await Certificates.VerifyAsync("0123456789abcdef0123456789abcdef", certificate.Signature)).Problem);
        Assert.Equal("The link carries no signature: use the verification link printed on the certificate.", (await Certificates.VerifyAsync(certificate.Id, null)).Problem);
    }

    [Fact]
    public async Task Rotation_keeps_what_the_old_key_signed_valid_and_revoking_a_key_or_naming_an_unknown_one_is_not_valid()
    {
        await AddStudentAsync("ada");
        await AddStudentAsync("bob", displayName: "Bob");
        Clock.SetUtcNow(AfterDue);
        var before = await Certificates.IssueAsync("ada");

        Clock.Advance(TimeSpan.FromMinutes(1));
        var rotated = await Keys.RotateAsync("teacher");
        var after = await Certificates.IssueAsync("bob");

        Assert.NotEqual(before.KeyId, rotated.Id);
        Assert.Equal(rotated.Id, after.KeyId);
        var verification = await Certificates.VerifyAsync(before.Id, before.Signature);
        Assert.Equal((true, before.KeyId, (DateTimeOffset?)AfterDue.AddMinutes(1)), (verification.Valid, verification.Key!.Id, verification.Key.RetiredAt));
        Assert.True((await Certificates.VerifyAsync(after.Id, after.Signature)).Valid);

        await Keys.RevokeAsync("teacher", before.KeyId);

        Assert.Equal($"The key that signed it ({before.KeyId}) was revoked on 2030-01-02.", (await Certificates.VerifyAsync(before.Id, before.Signature)).Problem);
        Assert.True((await Certificates.VerifyAsync(after.Id, after.Signature)).Valid);
        await using var db = await Databases.CreateDbContextAsync();
        Assert.Equal(["certificate.key-rotate", "certificate.key-revoke"],
            await db.AuditEntries.Where(e => e.ActorUserId == "teacher").OrderBy(e => e.Id).Select(e => e.Action).ToListAsync());
        await db.Certificates.Where(c => c.Id == after.Id).ExecuteUpdateAsync(u => u.SetProperty(c => c.KeyId, "p256-0000000000000000"));
        Assert.Equal("It names a signing key the platform does not have.", (await Certificates.VerifyAsync(after.Id, after.Signature)).Problem);
    }

    [Fact]
    public async Task A_certificate_whose_key_was_revoked_is_signed_again_with_the_same_content_unless_it_was_altered()
    {
        await AddStudentAsync("ada");
        await AddStudentAsync("bob", displayName: "Bob");
        Clock.SetUtcNow(AfterDue);
        var ada = await Certificates.IssueAsync("ada");
        var bob = await Certificates.IssueAsync("bob");
        await Keys.RevokeAsync("teacher", ada.KeyId);
        Assert.True((await Certificates.StandingAsync("ada")).KeyRevoked);
        await using (var db = await Databases.CreateDbContextAsync())
        {
            await db.Certificates.Where(c => c.Id == bob.Id).ExecuteUpdateAsync(u => u.SetProperty(c => c.StudentName, "Bob the Great"));
        }

        Clock.Advance(TimeSpan.FromDays(30));
        var again = await Certificates.IssueAsync("ada");

        Assert.Equal((ada.Id, ada.StudentName, ada.AchievementsJson, ada.IssuedAt), (again.Id, again.StudentName, again.AchievementsJson, again.IssuedAt));
        Assert.NotEqual(ada.KeyId, again.KeyId);
        Assert.True((await Certificates.VerifyAsync(again.Id, again.Signature)).Valid);
        Assert.False((await Certificates.VerifyAsync(ada.Id, ada.Signature)).Valid);
        Assert.False((await Certificates.StandingAsync("ada")).KeyRevoked);
        var altered = await Assert.ThrowsAsync<InvalidOperationException>(() => Certificates.IssueAsync("bob"));
        Assert.Equal($"Certificate {bob.Id} no longer matches its signature; it is not signed again.", altered.Message);
    }

    [Fact]
    public async Task Revoking_the_signing_key_makes_a_new_one_sign_the_next_certificate()
    {
        await AddStudentAsync("ada");
        await AddStudentAsync("bob", displayName: "Bob");
        Clock.SetUtcNow(AfterDue);
        var first = await Certificates.IssueAsync("ada");
        await Keys.RevokeAsync("teacher", first.KeyId);

        var next = await Certificates.IssueAsync("bob");

        Assert.NotEqual(first.KeyId, next.KeyId);
        Assert.True((await Certificates.VerifyAsync(next.Id, next.Signature)).Valid);
        Assert.Equal("p256-0000 was revoked already.", (await Assert.ThrowsAsync<ArgumentException>(() => Keys.RevokeAsync("teacher", first.KeyId)))
            .Message.Replace(first.KeyId, "p256-0000"));
    }

    [Fact]
    public void The_pdf_is_a_pdf_with_the_certificate_and_its_verification_url_and_a_correct_cross_reference_table()
    {
        var content = new CertificateContent("0123456789abcdef0123456789abcdef", "Zoë (Ada) Lovelace", "m", "Working with Transformers",
            [new("Lessons completed (required: 100 %)", "3 of 3"), new("Assignment: Reviews (pass: 50 points)", "62.5 / 100 points")], new DateOnly(2030, 1, 2), "p256-0011223344556677");
        const string url = "https://course.example.org/certificates/0123456789abcdef0123456789abcdef?sig=AbC-_x";

        var pdf = CertificatePdf.Write(content, url);
        var text = Encoding.Latin1.GetString(pdf);

        Assert.StartsWith("%PDF-1.4\n", text);
        Assert.EndsWith("%%EOF\n", text);
        Assert.Contains($"/URI ({url})", text);
        Assert.Contains("(Zo\u00eb \\(Ada\\) Lovelace) Tj", text);
        Assert.Contains("(\u0095 Assignment: Reviews \\(pass: 50 points\\): 62.5 / 100 points) Tj", text);
        Assert.Contains("(on 2030-01-02) Tj", text);
        // Each xref entry points at its object, and startxref at the table.
        var xref = int.Parse(text[(text.LastIndexOf("startxref\n", StringComparison.Ordinal) + 10)..].Split('\n')[0]);
        Assert.StartsWith("xref\n0 8\n", text[xref..]);
        var entries = text[xref..].Split('\n').Skip(3).Take(7).Select(e => int.Parse(e[..10])).ToList();
        Assert.Equal(Enumerable.Range(1, 7).Select(n => $"{n} 0 obj"), entries.Select((offset, i) => text.Substring(offset, $"{i + 1} 0 obj".Length)));
        var length = int.Parse(System.Text.RegularExpressions.Regex.Match(text, @"/Length (\d+)").Groups[1].Value);
        var start = text.IndexOf("stream\n", StringComparison.Ordinal) + 7;
        Assert.Equal("\nendstream", text.Substring(start + length, 10));
    }
}
