using Course.Core.Content;
using Course.Core.Data;
using Course.Core.Quizzes;
using Course.Web.Features.Quizzes;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Playwright;

namespace Course.E2E;

[Collection(SiteCollection.Name)]
public class QuizJourneyTests(SiteFixture site)
{
    private const string Password = "Transformers-2026!";

    private Quiz TopicQuiz(string topic) => site.Services.GetRequiredService<ContentRepository>().Current.Quizzes.First(q => q.Topic == topic);

    /// <summary>
    /// The student's attempt in progress, read from the database as the server keeps it: its secret names the options
    /// in the page and its seed chose its variants.
    /// </summary>
    internal static async Task<QuizAttempt> OpenAttemptAsync(SiteFixture site, string email, string quizId)
    {
        await using var db = await site.Services.GetRequiredService<IDbContextFactory<CourseDbContext>>().CreateDbContextAsync();
        return await db.QuizAttempts.SingleAsync(a => a.QuizId == quizId && a.State == AttemptState.InProgress && db.Users.Any(u => u.Id == a.UserId && u.Email == email));
    }

    /// <summary>Answers every item of the open attempt with its key, except <paramref name="wrong"/> (answered with a wrong option).</summary>
    private static async Task AnswerAsync(IPage page, QuizAttempt attempt, int? wrong = null)
    {
        var secret = new AttemptSecret(attempt.Secret);
        foreach (var item in QuizAttemptService.AttemptQuiz(attempt).Items)
        {
            var scope = page.Locator($"[data-item='{item.Number}']");
            string Token(QuizOption option) => secret.Token(item.Number, option.Id);
            switch (item.Type)
            {
                case QuizItemType.Single or QuizItemType.TrueFalse:
                    var option = item.Number == wrong ? item.Options.First(o => !o.Correct) : item.Options.Single(o => o.Correct);
                    await scope.Locator($"input[value='{Token(option)}']").CheckAsync();
                    break;
                case QuizItemType.Multiple:
                    foreach (var correct in item.Options.Where(o => o.Correct))
                    {
                        await scope.Locator($"input[value='{Token(correct)}']").CheckAsync();
                    }
                    break;
                case QuizItemType.Ordering:
                    await OrderAsync(scope, item.Options.Select(Token).ToList());
                    break;
                default:
                    var key = item.Type == QuizItemType.Text
                        ? item.Accept.FirstOrDefault() ?? throw new InvalidOperationException($"item {item.Number} has no accepted value to type")
                        : item.NumericAnswer!.Value.ToString(System.Globalization.CultureInfo.InvariantCulture);
                    await scope.Locator("input").FillAsync(key);
                    await scope.Locator("input").PressAsync("Tab"); // change fires on blur: the answer is saved
                    break;
            }
        }
    }

    /// <summary>Reaches the key's order with the "move up" buttons, as a keyboard user would.</summary>
    private static async Task OrderAsync(ILocator scope, IReadOnlyList<string> target)
    {
        for (var position = 0; position < target.Count; position++)
        {
            var current = await scope.Locator("li.quiz-step").EvaluateAllAsync<string[]>("steps => steps.map(s => s.dataset.option)");
            for (var from = Array.IndexOf(current, target[position]); from > position; from--)
            {
                await scope.GetByRole(AriaRole.Button, new() { Name = $"Move step {from + 1} up" }).ClickAsync();
                await Assertions.Expect(scope.Locator("li.quiz-step").Nth(from - 1)).ToHaveAttributeAsync("data-option", target[position]);
            }
        }
    }

    /// <summary>Starts an attempt, answers it (one item wrong when asked), submits, and checks the saved score on the result page.</summary>
    private async Task TakeAsync(BrowserSession student, string email, Quiz quiz, QuizItem? wrong = null)
    {
        await student.GoToAsync($"/quizzes/{quiz.Id}");
        await student.Page.GetByTestId("quiz-start").ClickAsync();
        await Assertions.Expect(student.Page.GetByTestId("quiz-submit")).ToBeVisibleAsync();
        await AnswerAsync(student.Page, await OpenAttemptAsync(site, email, quiz.Id), wrong: wrong?.Number);
        var attempt = await OpenAttemptAsync(site, email, quiz.Id);
        await student.Page.GetByTestId("quiz-submit").ClickAsync();
        var expected = (quiz.MaxPoints - (wrong?.Points ?? 0)).ToString("0.##");
        await Assertions.Expect(student.Page.GetByTestId("attempt-score")).ToBeVisibleAsync();
        var shown = await student.Page.GetByTestId("attempt-score").InnerTextAsync();
        Assert.True(shown == expected, $"score {shown}, expected {expected}; items below full marks, as saved: {await ShortfallAsync(attempt.Id)}");
    }

    /// <summary>Each item of a submitted attempt that scored below its points, with the answer the server saved for it.</summary>
    private async Task<string> ShortfallAsync(long attemptId)
    {
        await using var db = await site.Services.GetRequiredService<IDbContextFactory<CourseDbContext>>().CreateDbContextAsync();
        var attempt = await db.QuizAttempts.SingleAsync(a => a.Id == attemptId);
        var answers = QuizAttemptService.Answers(attempt);
        var quiz = QuizAttemptService.AttemptQuiz(attempt);
        return string.Join("; ", QuizAttemptService.Score(quiz, answers).Values.Where(s => !s.Correct).Select(s =>
            $"item {s.Number} ({quiz.FindItem(s.Number)!.Type}) {s.Points:0.##}/{s.MaxPoints:0.##}, saved [{string.Join(", ", answers.GetValueOrDefault(s.Number)?.Options ?? [])}] " +
            $"text '{answers.GetValueOrDefault(s.Number)?.Text}', key [{string.Join(", ", quiz.FindItem(s.Number)!.Options.Where(o => o.Correct).Select(o => o.Id))}]"));
    }

    private static QuizItem FirstChoiceItem(Quiz quiz) => quiz.Items.First(i => i.Type is QuizItemType.Single or QuizItemType.TrueFalse);

    [Theory]
    [InlineData("4.1")]
    [InlineData("4.2")]
    [InlineData("4.3")]
    [InlineData("4.4")]
    public async Task Each_topic_quiz_gets_a_saved_correct_score_with_right_or_wrong_and_the_grade_on_the_dashboard(string topic)
    {
        var quiz = TopicQuiz(topic);
        var wrong = FirstChoiceItem(quiz);
        await using var student = await BrowserSession.OpenAsync(site);
        var email = $"tess-{Guid.NewGuid():N}@example.com";
        await student.RegisterAsync(email, Password);

        await TakeAsync(student, email, quiz, wrong);

        var wrongItem = student.Page.Locator($"[data-item='{wrong.Number}']");
        await Assertions.Expect(wrongItem.Locator(".quiz-verdict-text")).ToHaveTextAsync("Incorrect");
        // Attempts remain: feedback and explanations wait for the last one.
        await Assertions.Expect(student.Page.Locator(".quiz-feedback, .quiz-explanation")).ToHaveCountAsync(0);
        // Saved: the dashboard shows the grade after a fresh page load.
        await student.GoToAsync("/progress");
        await Assertions.Expect(student.Page.Locator($"[data-quiz='{quiz.Id}'] .progress-grade"))
            .ToHaveTextAsync($"{(quiz.MaxPoints - wrong.Points) / quiz.MaxPoints * 100:0.#}%");
    }

    [Fact]
    public async Task A_second_attempt_sets_the_grade_by_the_quizzes_policy()
    {
        var quiz = TopicQuiz("4.1");
        Assert.Equal(GradingPolicy.Best, quiz.Grading);
        await using var student = await BrowserSession.OpenAsync(site);
        var email = $"quinn-{Guid.NewGuid():N}@example.com";
        await student.RegisterAsync(email, Password);

        await TakeAsync(student, email, quiz, FirstChoiceItem(quiz));
        await TakeAsync(student, email, quiz);

        await Assertions.Expect(student.Page.GetByTestId("quiz-grade")).ToHaveTextAsync("100%");
    }

    [Fact]
    public async Task A_time_limited_quiz_refuses_a_late_submission()
    {
        var quiz = site.Services.GetRequiredService<ContentRepository>().Current.Quizzes.First(q => q.TimeLimit is not null);
        await using var student = await BrowserSession.OpenAsync(site);
        var email = $"lena-{Guid.NewGuid():N}@example.com";
        await student.RegisterAsync(email, Password);
        await student.GoToAsync($"/quizzes/{quiz.Id}");
        await student.Page.GetByTestId("quiz-start").ClickAsync();
        await Assertions.Expect(student.Page.GetByTestId("quiz-timer")).ToContainTextAsync("Time left");

        // The clock cannot be waited out in a test: move this attempt's deadline into the past, as time would.
        var factory = site.Services.GetRequiredService<IDbContextFactory<CourseDbContext>>();
        await using (var db = await factory.CreateDbContextAsync())
        {
            var attempt = await db.QuizAttempts.SingleAsync(a => a.QuizId == quiz.Id && db.Users.Any(u => u.Id == a.UserId && u.Email == email));
            attempt.Deadline = DateTimeOffset.UtcNow.AddMinutes(-1);
            await db.SaveChangesAsync();
        }
        await student.Page.GetByTestId("quiz-submit").ClickAsync();

        await Assertions.Expect(student.Page.GetByTestId("quiz-error")).ToContainTextAsync("Too late");
        await Assertions.Expect(student.Page.GetByTestId("quiz-result")).ToContainTextAsync("The time limit ended before this attempt was submitted");
    }
}
