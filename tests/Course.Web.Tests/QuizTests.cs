using Bunit;
using Course.Core.Data;
using Course.Core.Quizzes;
using Course.Web.Components.Pages.Quizzes;
using Course.Web.Components.Quizzes;
using Course.Web.Features.Quizzes;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;

namespace Course.Web.Tests;

/// <summary>A quiz with one item of each answer shape, used by the service and component tests.</summary>
public abstract class QuizTest : CourseComponentTest
{
    protected const string QuizText = """
        ---
        id: quiz-eco
        title: Ecosystem quiz
        topic: "4.1"
        attempts: 2
        grading: best
        time_limit: 10
        shuffle: false
        ---
        Intro.

        ## single: Which file holds the hyperparameters?
        - [ ] vocab.txt
          > That is the vocabulary.
        - [x] config.json
          > Right.
        explanation: The config describes the architecture.

        ## multiple: Which are tokenizer outputs?
        - [x] input_ids
        - [ ] logits
        - [x] attention_mask
        - [ ] loss
        explanation: ids and mask.

        ## numeric: softmax([0, 0])[0]?
        answer: 0.5
        tolerance: 0.01
        feedback: Equal logits give equal probabilities.
        explanation: Two equal logits → 0.5 each.

        ## ordering: Order the training step.
        1. forward
        2. backward
        3. optimizer step
        explanation: Forward, backward, step.
        """;

    protected QuizAttemptService Service => Services.GetRequiredService<QuizAttemptService>();

    protected Quiz Quiz => Content.Current.FindQuiz("quiz-eco")!;

    /// <summary>The input of the option whose text is <paramref name="text"/>, whatever the attempt calls it.</summary>
    protected static AngleSharp.Dom.IElement Option(IRenderedComponent<QuizPage> page, int item, string text) =>
        page.FindAll($"[data-item='{item}'] .quiz-option").Single(o => o.TextContent.Trim() == text).QuerySelector("input")!;

    protected async Task<string> StudentAsync(string id = "student-1")
    {
        await AddUserAsync(id);
        WriteQuiz("eco.md", QuizText);
        return id;
    }

    /// <summary>Options named by their ids in the file (a, b, …), as the attempt's page names them: by its tokens.</summary>
    protected async Task<QuizResponse> ChooseAsync(long attemptId, int item, params string[] ids)
    {
        await using var db = await Services.GetRequiredService<IDbContextFactory<CourseDbContext>>().CreateDbContextAsync();
        var secret = new AttemptSecret((await db.QuizAttempts.SingleAsync(a => a.Id == attemptId)).Secret);
        return QuizResponse.Choose([.. ids.Select(id => secret.Token(item, id))]);
    }

    /// <summary>Answers everything right except the items listed.</summary>
    protected async Task<AttemptView> AnswerAndSubmitAsync(string userId, params int[] wrong)
    {
        var attempt = await Service.StartAsync(userId, Quiz);
        async Task Answer(int item, QuizResponse right, QuizResponse bad) => await Service.SaveAnswerAsync(userId, attempt, item, wrong.Contains(item) ? bad : right);
        await Answer(1, await ChooseAsync(attempt, 1, "b"), await ChooseAsync(attempt, 1, "a"));
        await Answer(2, await ChooseAsync(attempt, 2, "a", "c"), await ChooseAsync(attempt, 2, "a", "b"));
        await Answer(3, QuizResponse.Answer("0.505"), QuizResponse.Answer("0.7"));
        await Answer(4, await ChooseAsync(attempt, 4, "a", "b", "c"), await ChooseAsync(attempt, 4, "c", "b", "a"));
        return await Service.SubmitAsync(userId, attempt);
    }
}

public class QuizAttemptServiceTests : QuizTest
{
    [Fact]
    public async Task A_submitted_attempt_is_scored_on_the_server_with_partial_credit()
    {
        var user = await StudentAsync();

        var result = await AnswerAndSubmitAsync(user, wrong: [2]);

        // Multiple choice a+b: +1/2 (a) − 1/2 (b) = 0; the other three are right.
        Assert.Equal(3, result.Attempt.Points);
        Assert.Equal(AttemptState.Submitted, result.Attempt.State);
        Assert.False(result.ScoreOf(2)!.Correct);
        Assert.Equal(0.75, (await Service.GetOverviewAsync(user, Quiz)).Grade);
    }

    [Fact]
    public async Task Resuming_returns_the_attempt_in_progress_with_its_saved_answers_and_order()
    {
        var user = await StudentAsync();
        var first = await Service.StartAsync(user, Quiz);
        var chosen = await ChooseAsync(first, 1, "b");
        await Service.SaveAnswerAsync(user, first, 1, chosen);
        var order = (await Service.GetAttemptAsync(user, first)).Items.SelectMany(i => i.Options.Select(o => o.Id)).ToList();

        var again = await Service.StartAsync(user, Quiz);
        var view = await Service.GetAttemptAsync(user, again);

        Assert.Equal(first, again);
        Assert.Equal(chosen.Options, view.Answers[1].Options);
        Assert.Equal(order, view.Items.SelectMany(i => i.Options.Select(o => o.Id)));
        Assert.All(view.Items, i => Assert.Null(i.Score));
    }

    [Fact]
    public async Task The_attempt_limit_holds_until_an_instructor_grants_more_and_everything_is_audited()
    {
        var user = await StudentAsync();
        await AddUserAsync("teacher");
        await AnswerAndSubmitAsync(user, wrong: [1, 2]);
        await AnswerAndSubmitAsync(user);

        var refused = await Assert.ThrowsAsync<QuizAttemptException>(() => Service.StartAsync(user, Quiz));
        Assert.Contains("No attempts left: this quiz allows 2 and you have used 2", refused.Message);

        await Service.GrantExtraAttemptsAsync("teacher", user, Quiz.Id, 1, "illness");
        var third = await Service.StartAsync(user, Quiz);
        await Service.ResetAttemptAsync("teacher", third, "started by mistake");

        var overview = await Service.GetOverviewAsync(user, Quiz);
        Assert.Equal((3, 2, 1.0), (overview.AttemptsAllowed, overview.AttemptsUsed, overview.Grade!.Value));
        Assert.True(overview.CanStart);
        var audit = await Service.AuditTrailAsync(user);
        Assert.Equal(["quiz.reset-attempt", "quiz.extra-attempts"], audit.Select(a => a.Action));
        Assert.Contains("started by mistake", audit[0].Details);
        Assert.Contains("quiz-eco: +1 — illness", audit[1].Details);
    }

    [Theory]
    [InlineData("best", 1.0)]
    [InlineData("last", 0.5)]
    [InlineData("average", 0.75)]
    public async Task The_grading_policy_picks_the_grade(string policy, double grade)
    {
        var user = await StudentAsync();
        WriteQuiz("eco.md", QuizText.Replace("grading: best", $"grading: {policy}"));
        await AnswerAndSubmitAsync(user);
        Clock.Advance(TimeSpan.FromMinutes(1));
        await AnswerAndSubmitAsync(user, wrong: [1, 3]);

        Assert.Equal(grade, (await Service.GetOverviewAsync(user, Quiz)).Grade);
    }

    [Fact]
    public async Task A_late_submission_is_refused_and_only_answers_saved_in_time_count()
    {
        var user = await StudentAsync();
        var attempt = await Service.StartAsync(user, Quiz);
        await Service.SaveAnswerAsync(user, attempt, 1, await ChooseAsync(attempt, 1, "b"));
        Clock.Advance(TimeSpan.FromMinutes(10) + QuizAttemptService.Grace + TimeSpan.FromSeconds(1));

        var late = await Assert.ThrowsAsync<QuizAttemptException>(() => Service.SaveAnswerAsync(user, attempt, 3, QuizResponse.Answer("0.5")));
        Assert.Contains("Too late", late.Message);
        var closed = await Assert.ThrowsAsync<QuizAttemptException>(() => Service.SubmitAsync(user, attempt));
        Assert.Contains("time limit has passed", closed.Message);

        var view = await Service.GetAttemptAsync(user, attempt);
        Assert.Equal((AttemptState.Expired, 1.0), (view.Attempt.State, view.Attempt.Points!.Value));
    }

    [Fact]
    public async Task Editing_a_quiz_never_rescores_old_attempts_until_an_instructor_asks()
    {
        var user = await StudentAsync();
        await AddUserAsync("teacher");
        await AnswerAndSubmitAsync(user);
        // The key of item 1 changes: vocab.txt becomes the right answer.
        WriteQuiz("eco.md", QuizText.Replace("- [ ] vocab.txt", "- [x] vocab.txt").Replace("- [x] config.json", "- [ ] config.json"));

        Assert.Equal(1.0, (await Service.GetOverviewAsync(user, Quiz)).Grade);
        Assert.Equal(1, await Service.RescoreAsync("teacher", Quiz));
        Assert.Equal(0.75, (await Service.GetOverviewAsync(user, Quiz)).Grade);
    }

    [Fact]
    public async Task Students_cannot_open_each_others_attempts()
    {
        var user = await StudentAsync();
        await AddUserAsync("other");
        var attempt = await Service.StartAsync(user, Quiz);

        await Assert.ThrowsAsync<QuizAttemptException>(() => Service.GetAttemptAsync("other", attempt));
        await Assert.ThrowsAsync<QuizAttemptException>(async () => await Service.SaveAnswerAsync("other", attempt, 1, await ChooseAsync(attempt, 1, "a")));
    }
}

public class QuizComponentTests : QuizTest
{
    private QuizItem Item(int number) => Quiz.FindItem(number)!;

    [Fact]
    public async Task Single_choice_renders_labelled_radios_and_reports_the_choice()
    {
        await StudentAsync();
        QuizResponse? changed = null;
        var item = Render<ChoiceItem>(p => p.Add(c => c.Item, Item(1)).Add(c => c.Options, Item(1).Options)
            .Add(c => c.ResponseChanged, r => changed = r));

        var radios = item.FindAll("input[type=radio]");
        Assert.Equal(2, radios.Count);
        Assert.Equal("vocab.txt", radios[0].ParentElement!.TextContent.Trim());
        radios[1].Change("b");

        Assert.Equal(["b"], changed!.Options);
    }

    [Fact]
    public async Task Multiple_choice_toggles_checkboxes_and_after_submitting_shows_the_key_in_words()
    {
        await StudentAsync();
        QuizResponse response = QuizResponse.Choose("a");
        var item = Render<ChoiceItem>(p => p.Add(c => c.Item, Item(2)).Add(c => c.Options, Item(2).Options)
            .Add(c => c.Response, response).Add(c => c.ResponseChanged, r => response = r));

        item.FindAll("input[type=checkbox]")[2].Change(true);
        Assert.Equal(["a", "c"], response.Options);

        var scored = Render<ChoiceItem>(p => p.Add(c => c.Item, Item(2)).Add(c => c.Options, Item(2).Options)
            .Add(c => c.Response, QuizResponse.Choose("b")).Add(c => c.Disabled, true).Add(c => c.Review, ReviewOptions.All)
            .Add(c => c.Score, QuizScoring.Score(Item(2), QuizResponse.Choose("b"))));
        var options = scored.FindAll(".quiz-option");
        Assert.Contains("Correct answer", options[0].TextContent);
        Assert.Contains("Your answer", options[1].TextContent);
        Assert.DoesNotContain("Correct answer", options[1].TextContent);
        Assert.All(scored.FindAll("input"), i => Assert.True(i.HasAttribute("disabled")));
    }

    [Fact]
    public async Task A_numeric_answer_field_is_labelled_saves_on_change_and_shows_the_key_and_feedback_after()
    {
        await StudentAsync();
        QuizResponse? changed = null;
        var field = Render<AnswerField>(p => p.Add(c => c.Item, Item(3)).Add(c => c.ResponseChanged, r => changed = r));

        Assert.Equal("item-3-answer", field.Find("label").GetAttribute("for"));
        field.Find("input").Change("0.49");
        Assert.Equal("0.49", changed!.Text);

        var scored = Render<AnswerField>(p => p.Add(c => c.Item, Item(3)).Add(c => c.Response, QuizResponse.Answer("0.7"))
            .Add(c => c.Disabled, true).Add(c => c.Review, ReviewOptions.All)
            .Add(c => c.Score, QuizScoring.Score(Item(3), QuizResponse.Answer("0.7"))));
        Assert.Contains("Accepted: 0.5 ± 0.01", scored.Find(".quiz-key").TextContent);
        Assert.Contains("Equal logits give equal probabilities.", scored.Find(".quiz-feedback").TextContent);
    }

    [Fact]
    public async Task Ordering_moves_steps_with_labelled_buttons()
    {
        await StudentAsync();
        var shuffled = new[] { Item(4).Options[1], Item(4).Options[0], Item(4).Options[2] };
        QuizResponse? changed = null;
        var list = Render<OrderingItem>(p => p.Add(c => c.Item, Item(4)).Add(c => c.Options, shuffled).Add(c => c.ResponseChanged, r => changed = r));

        list.Find("button[aria-label='Move step 2 up']").Click();

        Assert.Equal(["a", "b", "c"], changed!.Options);
    }

    [Fact]
    public async Task The_result_view_says_correct_partly_or_incorrect_in_words()
    {
        await StudentAsync();
        string Verdict(QuizResponse response) => Render<QuizItemView>(p => p.Add(c => c.Item, Item(2)).Add(c => c.Options, Item(2).Options)
            .Add(c => c.Response, response).Add(c => c.Disabled, true).Add(c => c.Review, ReviewOptions.All).Add(c => c.Score, QuizScoring.Score(Item(2), response)))
            .Find(".quiz-verdict").TextContent.Split((char[])[' ', '\n'], StringSplitOptions.RemoveEmptyEntries) is var words ? string.Join(' ', words) : "";

        Assert.Contains("Correct", Verdict(QuizResponse.Choose("a", "c")));
        Assert.Contains("Partly correct — 0.5 of 1 point", Verdict(QuizResponse.Choose("a")));
        Assert.Contains("Incorrect", Verdict(QuizResponse.Choose("b", "d")));
    }

    [Fact]
    public async Task A_student_takes_the_quiz_page_and_sees_the_saved_score_and_right_or_wrong()
    {
        var user = await StudentAsync();
        SignIn(user);
        var page = Render<QuizPage>(p => p.Add(q => q.QuizId, "quiz-eco"));

        page.Find("[data-testid=quiz-start]").Click();
        page.WaitForElement("[data-item='1'] input");
        var config = Option(page, 1, "config.json");
        config.Change(config.GetAttribute("value"));
        page.Find("[data-item='3'] input").Change("0.9");
        page.Find("form").Submit();

        page.WaitForAssertion(() => Assert.Equal("1", page.Find("[data-testid=attempt-score]").TextContent));
        Assert.Equal("Correct", page.Find("[data-item='1'] .quiz-verdict-text").TextContent);
        Assert.Equal("Incorrect", page.Find("[data-item='3'] .quiz-verdict-text").TextContent);
        Assert.Equal("25%", page.Find("[data-testid=quiz-grade]").TextContent);
        await using var db = await Services.GetRequiredService<IDbContextFactory<CourseDbContext>>().CreateDbContextAsync();
        Assert.Equal(1.0, (await db.QuizAttempts.SingleAsync()).Points);
    }
}

public class QuizPageConcurrencyTests : QuizTest
{
    [Fact]
    public async Task Two_quick_ticks_and_a_submit_while_the_database_is_slow_keep_both_answers()
    {
        var user = await StudentAsync();
        SignIn(user);
        var page = Render<QuizPage>(p => p.Add(q => q.QuizId, "quiz-eco"));
        page.Find("[data-testid=quiz-start]").Click();
        page.WaitForElement("[data-item='2'] input");

        Saves.Hold();
        var first = Option(page, 2, "input_ids").ChangeAsync(new Microsoft.AspNetCore.Components.ChangeEventArgs { Value = true });
        var second = Option(page, 2, "attention_mask").ChangeAsync(new Microsoft.AspNetCore.Components.ChangeEventArgs { Value = true });
        var submit = page.Find("form").SubmitAsync();
        Saves.Release();
        await Task.WhenAll(first, second, submit);

        page.WaitForAssertion(() => Assert.Equal("Correct", page.Find("[data-item='2'] .quiz-verdict-text").TextContent));
        await using var db = await Services.GetRequiredService<IDbContextFactory<CourseDbContext>>().CreateDbContextAsync();
        Assert.Equal(1.0, (await db.QuizAttempts.SingleAsync()).Points);
    }
}

public class QuizAnswerRateLimitTests : QuizTest
{
    [Fact]
    public async Task Answers_saved_past_the_limit_are_refused_with_a_message_and_accepted_after_the_window()
    {
        RateLimits.QuizAnswer = new Course.Web.Features.Security.RateLimitRule { PerUser = 2, PerAddress = 100, WindowSeconds = 30 };
        var userId = await StudentAsync();
        var attempt = await Service.StartAsync(userId, Quiz);

        var b = await ChooseAsync(attempt, 1, "b");
        await Service.SaveAnswerAsync(userId, attempt, 1, await ChooseAsync(attempt, 1, "a"));
        await Service.SaveAnswerAsync(userId, attempt, 1, b);
        var refused = await Assert.ThrowsAsync<QuizAttemptException>(async () => await Service.SaveAnswerAsync(userId, attempt, 2, await ChooseAsync(attempt, 2, "a")));
        Clock.Advance(TimeSpan.FromSeconds(30));
        await Service.SaveAnswerAsync(userId, attempt, 2, await ChooseAsync(attempt, 2, "a", "c"));

        Assert.Equal("Too many answers saved; try again in 30 s.", refused.Message);
        var answers = (await Service.GetAttemptAsync(userId, attempt)).Answers;
        Assert.Equal([1, 2], answers.Keys.Order());
        Assert.Equal(b.Options, answers[1].Options);
    }
}
