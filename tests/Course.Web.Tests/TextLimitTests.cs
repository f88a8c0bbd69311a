using Course.Web.Features.Security;
using Course.Core.Configuration;
using Course.Core.Data;
using Course.Core.Quizzes;
using Course.Web.Features.Account;
using Course.Web.Features.Assignments;
using Course.Web.Features.Quizzes;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace Course.Web.Tests;

/// <summary>Free text past its limit is refused by the services themselves, whatever the browser let through.</summary>
public class TextLimitTests : QuizTest
{
    [Fact]
    public void The_message_names_the_field_the_length_and_the_limit()
    {
        Assert.Null(TextLimits.Check(new string('a', 500), TextLimits.Reason, "The reason"));
        Assert.Null(TextLimits.Check(null, TextLimits.Reason, "The reason"));
        Assert.Equal("The reason is 1,501 characters long; at most 500 are accepted", TextLimits.Check(new string('a', 1501), TextLimits.Reason, "The reason"));
    }

    [Fact]
    public async Task A_free_text_quiz_answer_over_the_limit_is_refused_and_one_at_it_is_saved()
    {
        var user = await StudentAsync();
        var attempt = await Service.StartAsync(user, Quiz);

        var error = await Assert.ThrowsAsync<QuizAttemptException>(() => Service.SaveAnswerAsync(user, attempt, 3, QuizResponse.Answer(new string('1', 201))));
        await Service.SaveAnswerAsync(user, attempt, 3, QuizResponse.Answer(new string('1', 200)));

        Assert.Equal("The answer is 201 characters long; at most 200 are accepted.", error.Message);
        Assert.Equal(200, (await Service.GetAttemptAsync(user, attempt)).Answers[3].Text!.Length);
    }

    [Fact]
    public async Task Instructor_reasons_over_the_limit_are_refused_before_anything_changes()
    {
        var user = await StudentAsync();
        var reason = new string('r', 501);
        var assignments = Services.GetRequiredService<AssignmentService>();

        var errors = new[]
        {
            await Assert.ThrowsAsync<ArgumentException>(() => Service.GrantExtraAttemptsAsync("instructor", user, "quiz-eco", 1, reason)),
            await Assert.ThrowsAsync<ArgumentException>(() => assignments.ResetQuotaAsync("instructor", user, "reviews", reason)),
            await Assert.ThrowsAsync<ArgumentException>(() => assignments.GrantExtensionAsync("instructor", user, "reviews", Clock.GetUtcNow(), reason)),
            await Assert.ThrowsAsync<ArgumentException>(() => assignments.OverrideGradeAsync("instructor", 1, 50, reason)),
        };

        Assert.All(errors, e => Assert.Equal("The reason is 501 characters long; at most 500 are accepted", e.Message));
        await using var db = await Services.GetRequiredService<IDbContextFactory<CourseDbContext>>().CreateDbContextAsync();
        Assert.Equal(0, await db.AuditEntries.CountAsync());
        Assert.Equal(0, await db.QuizAttemptGrants.CountAsync());
    }

    [Fact]
    public async Task Registration_refuses_an_overlong_email_and_display_name_before_creating_anyone()
    {
        // The limits are checked first, so no UserManager is needed to see them.
        using var limiter = new RequestLimiter(Options.Create(new RateLimitOptions()), Clock);
        var registration = new RegistrationService(null!, Services.GetRequiredService<IDbContextFactory<CourseDbContext>>(),
            Options.Create(new AccountOptions()), limiter, new ClientConnection(), Clock);

        var errors = await registration.RegisterStudentAsync(new string('a', 250) + "@x.yz", new string('n', 101), "long enough", null);

        Assert.Equal(["The email address is 255 characters long; at most 254 are accepted.", "The display name is 101 characters long; at most 100 are accepted."], errors);
    }

    [Theory]
    [InlineData(128, true)]
    [InlineData(129, false)]
    public async Task Passwords_longer_than_128_characters_are_refused(int length, bool accepted)
    {
        var result = await new PasswordLengthValidator().ValidateAsync(null!, new CourseUser(), new string('p', length));

        Assert.Equal(accepted, result.Succeeded);
        Assert.Equal(accepted ? [] : ["The password is 129 characters long; at most 128 are accepted."], result.Errors.Select(e => e.Description));
    }
}
