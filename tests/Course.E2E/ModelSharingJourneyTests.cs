using Course.Core.Content;
using Course.Core.Data;
using Course.Grading;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Playwright;
using static Microsoft.Playwright.Assertions;

namespace Course.E2E;

[Collection(SiteCollection.Name)]
public class ModelSharingJourneyTests(SiteFixture site)
{
    private const string Password = "Transformers-2026!";
    private const string IntendedUse = "Sorting short **product reviews** by mood, for the course's exercises.";
    private const string Limitations = "Trained on 64 reviews: expect mistakes on sarcasm and long texts.";

    /// <summary>
    /// Set to a folder, the journey also saves the model page with its comparison there as model-sharing.png (the
    /// README's screenshot, taken from the running site).
    /// </summary>
    private static readonly string? ScreenshotFolder = Environment.GetEnvironmentVariable("COURSE_E2E_SCREENSHOTS");

    [Fact]
    public async Task A_student_publishes_a_graded_model_after_the_due_date_a_classmate_runs_and_compares_it_and_an_instructor_unpublishes_it()
    {
        const string assignmentId = "sentiment";
        var assignment = site.Services.GetRequiredService<ContentRepository>().Current.FindAssignment(assignmentId)!;
        var (ownerEmail, classmateEmail) = ($"ola-{Guid.NewGuid().ToString("N")[..8]}@example.com", $"kim-{Guid.NewGuid().ToString("N")[..8]}@example.com");
        // The site's clock one day past the due date; everyone signs in after the move (a cookie from before would have expired).
        site.Clock.Offset = assignment.Rules.Due!.Value - DateTimeOffset.UtcNow + TimeSpan.FromDays(1);
        try
        {
            await using var owner = await BrowserSession.OpenAsync(site);
            await owner.RegisterAsync(ownerEmail, Password);
            var submissionId = await AddGradedSubmissionAsync(ownerEmail, assignmentId);
            var modelId = Submission.KeptModelId(submissionId);

            // The owner writes the card's two sections and publishes: nothing was listed before.
            await owner.GoToAsync($"/assignments/{assignmentId}");
            await owner.OpenTabAsync("My submissions");
            var sharing = owner.Page.GetByTestId("model-sharing");
            await Expect(sharing.GetByTestId("model-publish")).ToBeVisibleAsync();
            Assert.Empty(await Axe.FindingsAsync(owner.Page, "My submissions with the publish form"));
            await sharing.GetByTestId("card-intended-use").FillAsync(IntendedUse);
            await sharing.GetByTestId("card-limitations").FillAsync(Limitations);
            await sharing.GetByTestId("model-publish").ClickAsync();
            await Expect(sharing.GetByTestId("model-published")).ToContainTextAsync(modelId);

            // A signed-in classmate finds it in the playground's picker and runs it.
            await using var classmate = await BrowserSession.OpenAsync(site);
            await classmate.RegisterAsync(classmateEmail, Password);
            await classmate.GoToAsync("/playground/inference?task=text-classification");
            await classmate.Page.GetByTestId("inference-model").SelectOptionAsync(modelId);
            await classmate.Page.GetByTestId("inference-run").ClickAsync();
            await Expect(classmate.Page.GetByTestId("inference-output").Locator(".probability-bar").First).ToBeVisibleAsync();
            await Expect(classmate.Page.GetByTestId("inference-error")).ToHaveCountAsync(0);

            // Its page shows the generated card and compares it with the demo model on one input, side by side.
            await classmate.GoToAsync($"/hub/models/{modelId}");
            var card = classmate.Page.GetByTestId("model-card");
            await Expect(card.Locator("h2")).ToHaveTextAsync(["Evaluation (validation split)", "Configuration", "Training data", "Intended use", "Limitations"]);
            await Expect(card.Locator("strong", new() { HasText = "product reviews" })).ToBeVisibleAsync();
            await Expect(card).ToContainTextAsync(Limitations);
            await Expect(card).ToContainTextAsync("eval_f1");
            await Expect(card).Not.ToContainTextAsync("test_f1"); // never a hidden-split figure
            await Expect(classmate.Page.GetByTestId("unpublish-model")).ToHaveCountAsync(0);
            await classmate.Page.GetByTestId("compare-text").FillAsync("The battery died after two days, but support replaced it at once.");
            await classmate.Page.GetByTestId("compare-run").ClickAsync();
            foreach (var side in new[] { "compare-demo", "compare-model" })
            {
                await Expect(classmate.Page.GetByTestId(side).GetByTestId("compare-output").Locator(".probability-bar").First).ToBeVisibleAsync();
            }
            await Expect(classmate.Page.GetByTestId("compare-demo")).ToContainTextAsync("course/minilm-sentiment");
            await Expect(classmate.Page.GetByTestId("compare-model")).ToContainTextAsync(modelId);
            await Expect(classmate.Page.GetByTestId("compare-error")).ToHaveCountAsync(0);
            Assert.Empty(await Axe.FindingsAsync(classmate.Page, "a published model's page with its comparison"));
            if (ScreenshotFolder is not null)
            {
                // From the title to the comparison's end, right of the navigation: the card the student wrote and the two answers.
                await classmate.Page.SetViewportSizeAsync(1280, 900);
                await classmate.Page.EvaluateAsync("window.scrollTo(0, 0)"); // bounding boxes are measured from the viewport, the clip from the page's top
                var (top, bottom) = (await classmate.Page.Locator("h1").First.BoundingBoxAsync(), await classmate.Page.GetByTestId("model-comparison").BoundingBoxAsync());
                await classmate.Page.ScreenshotAsync(new()
                {
                    Path = Path.Combine(ScreenshotFolder, "model-sharing.png"), FullPage = true,
                    Clip = new() { X = top!.X - 16, Y = top.Y - 16, Width = 1280 - top.X + 16, Height = bottom!.Y + bottom.Height - top.Y + 32 },
                });
            }

            // An instructor unpublishes it with a reason: it leaves the classmate's picker and page, and the owner reads why.
            await using var instructor = await site.SignInInstructorAsync();
            await instructor.GoToAsync($"/hub/models/{modelId}");
            await instructor.Page.GetByTestId("unpublish-reason").FillAsync("The card quotes a customer by name.");
            await instructor.Page.GetByTestId("unpublish-model").ClickAsync();
            await Expect(instructor.Page.GetByTestId("model-shared")).ToHaveCountAsync(0);

            await classmate.GoToAsync("/playground/inference?task=text-classification");
            var models = classmate.Page.GetByTestId("inference-model").Locator("option");
            await Expect(models.First).ToHaveTextAsync("course/minilm-sentiment");
            await Expect(models.Filter(new() { HasText = modelId })).ToHaveCountAsync(0);
            await classmate.GoToAsync($"/hub/models/{modelId}");
            await Expect(classmate.Page.GetByText($"There is no model '{modelId}' in the local hub.")).ToBeVisibleAsync();

            await owner.GoToAsync($"/assignments/{assignmentId}");
            await owner.OpenTabAsync("My submissions");
            await Expect(owner.Page.GetByTestId("model-taken-down")).ToContainTextAsync("The card quotes a customer by name.");
            await Expect(owner.Page.GetByTestId("model-publish")).ToHaveCountAsync(0);

            await using var db = await site.Services.GetRequiredService<IDbContextFactory<CourseDbContext>>().CreateDbContextAsync();
            var row = await db.ModelPublications.SingleAsync(p => p.SubmissionId == submissionId);
            Assert.Equal((IntendedUse, Limitations, false), (row.IntendedUse, row.Limitations, row.IsPublished));
            Assert.Equal(site.InstructorEmail, await db.Users.Where(u => u.Id == row.UnpublishedByUserId).Select(u => u.Email).SingleAsync());
        }
        finally
        {
            site.Clock.Offset = TimeSpan.Zero;
        }
    }

    /// <summary>
    /// A graded submission of the student whose weights were kept, as a worker leaves it (GradingJourneyTests trains
    /// real ones): the row with validation and hidden-split figures, and the model in the hub, here a tiny sentiment model of its own.
    /// </summary>
    private async Task<long> AddGradedSubmissionAsync(string email, string assignmentId)
    {
        await using var db = await site.Services.GetRequiredService<IDbContextFactory<CourseDbContext>>().CreateDbContextAsync();
        var userId = await db.Users.Where(u => u.Email == email).Select(u => u.Id).SingleAsync();
        var now = site.Clock.GetUtcNow();
        var submission = new Submission
        {
            UserId = userId, AssignmentId = assignmentId, IdempotencyKey = Guid.NewGuid().ToString("N"), Status = SubmissionStatus.Succeeded, KeepWeights = true,
            CreatedAt = now.AddDays(-3), FinishedAt = now.AddDays(-3), PublicScore = 0.7412, PrivateScore = 0.6875, Grade = 55,
            ConfigYaml = "task: text-classification\nmodel_name_or_path: sentence-transformers/all-MiniLM-L6-v2\ntraining_args:\n  learning_rate: 5.0e-5\n  num_train_epochs: 3\n",
            ResultJson = new GradingResult(new Dictionary<string, double>
                {
                    ["eval_f1"] = 0.7412, ["eval_accuracy"] = 0.7667, ["eval_loss"] = 0.6013, ["test_f1"] = 0.6875, ["test_accuracy"] = 0.7,
                }, 0.7412, 0.6875, 55,
                new Receipt(42, 2, "sentence-transformers/all-MiniLM-L6-v2", new Dictionary<string, string>(), "c", new Dictionary<string, string>(), "cpu", 41)).ToJson(),
        };
        db.Submissions.Add(submission);
        await db.SaveChangesAsync();
        Course.Tests.Shared.TinyDemoModels.WriteSentiment(new Course.Ml.Hub.ModelHub(Path.Combine(site.DataPath, "hub")), Submission.KeptModelId(submission.Id), seed: 7);
        return submission.Id;
    }
}
