using System.Text.RegularExpressions;
using Bunit;
using Course.Core.Data;
using Course.Core.Quizzes;
using Course.Web.Components.Pages.Quizzes;
using Course.Web.Features.Quizzes;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;

namespace Course.Web.Tests;

/// <summary>What the server renders of an attempt at each review moment: the markup is all the browser ever gets.</summary>
public partial class QuizReviewTests : QuizTest
{
    /// <summary>Everything only the key, the feedback or an explanation holds in <see cref="QuizTest.QuizText"/>.</summary>
    private static readonly string[] Hidden =
    [
        "is-correct", "is-wrong", "quiz-key", "quiz-feedback", "quiz-explanation", "Accepted",
        "That is the vocabulary.", "Right.", "Equal logits give equal probabilities.", "The config describes the architecture.",
        "ids and mask.", "Two equal logits", "Forward, backward, step.", "belongs at position", "right place",
    ];

    [GeneratedRegex("^o[0-9a-f]{16}$")]
    private static partial Regex TokenPattern();

    private IRenderedComponent<QuizPage> OpenPage(string user)
    {
        SignIn(user);
        return Render<QuizPage>(p => p.Add(q => q.QuizId, "quiz-eco"));
    }

    /// <summary>Starts an attempt on the page and submits it without answering anything.</summary>
    private static void SubmitBlank(IRenderedComponent<QuizPage> page)
    {
        page.WaitForElement("[data-testid=quiz-start]").Click();
        page.WaitForElement("form").Submit();
        page.WaitForElement("[data-testid=quiz-result]");
    }

    [Fact]
    public async Task After_a_blank_first_attempt_the_markup_holds_no_key_feedback_or_explanation()
    {
        var page = OpenPage(await StudentAsync());

        SubmitBlank(page);

        Assert.Equal("0", page.Find("[data-testid=attempt-score]").TextContent);
        Assert.Equal(4, page.FindAll(".quiz-verdict-text").Count(v => v.TextContent == "Incorrect"));
        Assert.All(Hidden, text => Assert.DoesNotContain(text, page.Markup));
        // Nothing was chosen, so no option says anything: no "Correct answer" chip.
        Assert.All(page.FindAll(".quiz-option-verdict"), v => Assert.Equal("", v.TextContent.Trim()));
        Assert.Contains("Correct answers are shown after your last attempt.", page.Find("[data-testid=review-note]").TextContent);
    }

    [Fact]
    public async Task Option_ids_in_the_markup_are_the_attempts_tokens_never_the_file_ids()
    {
        var page = OpenPage(await StudentAsync());
        page.WaitForElement("[data-testid=quiz-start]").Click();
        page.WaitForElement("form");

        var ids = page.FindAll("[data-option]").Select(e => e.GetAttribute("data-option")!)
            .Concat(page.FindAll("input[type=radio], input[type=checkbox]").Select(e => e.GetAttribute("value")!)).ToList();

        Assert.Equal(2 + 4 + 3 + 2 + 4, ids.Count); // data-option on 2 + 4 choices and 3 steps, values on 2 + 4 inputs
        Assert.All(ids, id => Assert.Matches(TokenPattern(), id));
        Assert.DoesNotMatch(@"(data-option|value)=""[a-d]""", page.Markup);
    }

    [Fact]
    public async Task The_last_attempt_shows_the_key_feedback_and_explanations_for_every_attempt()
    {
        var page = OpenPage(await StudentAsync());
        SubmitBlank(page);
        page.Find("[data-testid=quiz-result] button").Click();

        SubmitBlank(page);

        Assert.Equal(4, page.FindAll(".quiz-explanation").Count);
        Assert.Contains("The config describes the architecture.", page.Markup);
        Assert.Equal(3, page.FindAll(".quiz-option .mud-chip").Count(c => c.TextContent.Contains("Correct answer"))); // config.json, input_ids, attention_mask
        Assert.Contains("Accepted: 0.5 ± 0.01", page.Find(".quiz-key").TextContent);
        Assert.Contains("belongs at position", page.Markup);
        // Attempt 1, reviewed now, shows them too.
        page.Find("[data-testid=quiz-result] button").Click();
        page.FindAll("[data-testid=quiz-attempts] button")[0].Click();
        page.WaitForAssertion(() => Assert.Equal(4, page.FindAll(".quiz-explanation").Count));
    }

    [Fact]
    public async Task While_the_last_attempt_is_open_an_earlier_one_shows_no_key()
    {
        var user = await StudentAsync();
        var first = await AnswerAndSubmitAsync(user, wrong: [1]);
        await Service.StartAsync(user, Quiz);

        var review = await Service.GetAttemptAsync(user, first.Attempt.Id);

        Assert.Equal(ReviewOptions.Score | ReviewOptions.RightOrWrong, review.Review);
        Assert.All(review.Items.SelectMany(i => i.Item.Options.Concat(i.Options)), o => Assert.False(o.Correct));
        Assert.All(review.Items, i => Assert.Equal("", i.Item.ExplanationHtml));
        Assert.Equal(3, review.Attempt.Points);
    }

    [Fact]
    public async Task A_practice_quiz_shows_everything_after_the_first_attempt()
    {
        var user = await StudentAsync();
        WriteQuiz("eco.md", QuizText.Replace("shuffle: false", "shuffle: false\npractice: true"));
        var page = OpenPage(user);

        SubmitBlank(page);

        Assert.Equal(4, page.FindAll(".quiz-explanation").Count);
        Assert.Contains("Correct answer", page.Markup);
    }

    [Fact]
    public async Task Review_options_from_the_front_matter_hide_the_score_and_grade()
    {
        var user = await StudentAsync();
        WriteQuiz("eco.md", QuizText.Replace("shuffle: false", "shuffle: false\nreview:\n  after_attempt: [right_or_wrong]"));
        var page = OpenPage(user);

        SubmitBlank(page);

        Assert.Empty(page.FindAll("[data-testid=attempt-score]"));
        Assert.Empty(page.FindAll("[data-testid=quiz-grade]"));
        Assert.DoesNotContain("of 1 point", page.Markup);
        Assert.Equal(4, page.FindAll(".quiz-verdict-text").Count);
    }

    [Fact]
    public async Task A_closed_quiz_refuses_new_attempts_caps_open_ones_at_the_close_and_then_shows_the_key()
    {
        var user = await StudentAsync();
        var closes = Clock.GetUtcNow().AddMinutes(5);
        WriteQuiz("eco.md", QuizText.Replace("shuffle: false", $"shuffle: false\ncloses: {closes:yyyy-MM-ddTHH:mm:ssZ}"));
        var open = await Service.StartAsync(user, Quiz);
        Assert.Equal(closes, (await Service.GetAttemptAsync(user, open)).Attempt.Deadline);

        Clock.Advance(TimeSpan.FromMinutes(5) + QuizAttemptService.Grace + TimeSpan.FromSeconds(1));

        var refused = await Assert.ThrowsAsync<QuizAttemptException>(() => Service.StartAsync(user, Quiz));
        Assert.Equal($"This quiz closed at {closes.UtcDateTime:yyyy-MM-dd HH:mm} UTC.", refused.Message);
        var review = await Service.GetAttemptAsync(user, open);
        Assert.Equal((AttemptState.Expired, ReviewOptions.All), (review.Attempt.State, review.Review));
    }

    [Fact]
    public async Task An_answer_naming_a_file_id_instead_of_a_token_is_refused()
    {
        var user = await StudentAsync();
        var attempt = await Service.StartAsync(user, Quiz);

        var refused = await Assert.ThrowsAsync<QuizAttemptException>(() => Service.SaveAnswerAsync(user, attempt, 1, QuizResponse.Choose("b")));

        Assert.Equal("That answer names an option this question does not have: reload the page.", refused.Message);
    }

    [Fact]
    public async Task Answers_are_stored_with_the_quizs_ids_so_grading_needs_no_tokens()
    {
        var user = await StudentAsync();
        var attempt = await Service.StartAsync(user, Quiz);
        await Service.SaveAnswerAsync(user, attempt, 2, await ChooseAsync(attempt, 2, "c", "a"));

        await using var db = await Services.GetRequiredService<IDbContextFactory<CourseDbContext>>().CreateDbContextAsync();
        var row = await db.QuizAttempts.SingleAsync(a => a.Id == attempt);
        Assert.Equal(["c", "a"], QuizAttemptService.Answers(row)[2].Options);
        Assert.Equal(64, row.Secret.Length);
    }
}
