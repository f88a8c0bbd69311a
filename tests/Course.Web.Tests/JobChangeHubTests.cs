using Course.Core.Data;
using Course.Web.Features.Assignments;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;

namespace Course.Web.Tests;

public class JobChangeHubTests : CourseComponentTest
{
    private JobChangeHub Jobs => Services.GetRequiredService<JobChangeHub>();

    private async Task<long> AddJobAsync(string userId, SubmissionStatus status, DateTimeOffset? finishedAt = null)
    {
        await using var db = await Services.GetRequiredService<IDbContextFactory<CourseDbContext>>().CreateDbContextAsync();
        var job = new Submission
        {
            UserId = userId, AssignmentId = "reviews", ConfigYaml = "", IdempotencyKey = Guid.NewGuid().ToString("N"), Status = status,
            CreatedAt = Clock.GetUtcNow(), FinishedAt = finishedAt,
        };
        db.Submissions.Add(job);
        await db.SaveChangesAsync();
        return job.Id;
    }

    private async Task SetProgressAsync(long id, int step)
    {
        await using var db = await Services.GetRequiredService<IDbContextFactory<CourseDbContext>>().CreateDbContextAsync();
        await db.Submissions.Where(s => s.Id == id).ExecuteUpdateAsync(u => u.SetProperty(s => s.ProgressJson, $$"""{"Step":{{step}}}"""));
    }

    [Theory]
    [InlineData(1)]
    [InlineData(500)]
    public async Task A_poll_is_one_query_however_many_subscribers_and_each_gets_only_the_changes_it_follows(int subscribers)
    {
        foreach (var user in new[] { "ann", "bob" }) { await AddUserAsync(user); }
        var ann = await AddJobAsync("ann", SubmissionStatus.Running);
        var bob = await AddJobAsync("bob", SubmissionStatus.Queued);
        await AddJobAsync("bob", SubmissionStatus.Queued);
        var received = new List<JobChange>[subscribers];
        for (var i = 0; i < subscribers; i++)
        {
            var mine = received[i] = [];
            // Even subscribers show ann's page, odd ones bob's.
            var user = i % 2 == 0 ? "ann" : "bob";
            Jobs.Subscribe(c => c.UserId == user, changes => { lock (mine) mine.AddRange(changes); });
        }

        var before = Commands.Count;
        Assert.Equal(3, await Jobs.PollAsync(Clock));
        await SetProgressAsync(ann, 7);
        Assert.Equal(1, await Jobs.PollAsync(Clock));
        Assert.Equal(0, await Jobs.PollAsync(Clock));

        Assert.Equal(before + 1 + 3, Commands.Count); // three polls and the progress written
        Assert.Equal([(ann, (SubmissionStatus?)SubmissionStatus.Running, (SubmissionStatus?)null, (string?)null), (ann, SubmissionStatus.Running, SubmissionStatus.Running, """{"Step":7}""")],
            received[0].Select(c => (c.SubmissionId, c.Status, c.Was, c.ProgressJson)));
        if (subscribers > 1)
        {
            Assert.Equal([(bob, (int?)1), (bob + 1, 2)], received[1].Select(c => (c.SubmissionId, c.Position)));
            Assert.All(received.Where((_, i) => i % 2 == 1), r => Assert.Equal(2, r.Count));
        }
        Assert.All(received.Where((_, i) => i % 2 == 0), r => Assert.Equal(2, r.Count));
    }

    [Fact]
    public async Task Without_subscribers_a_poll_sends_nothing_to_the_database()
    {
        await AddUserAsync("ann");
        await AddJobAsync("ann", SubmissionStatus.Running);
        var before = Commands.Count;

        Assert.Equal(0, await Jobs.PollAsync(Clock));

        Assert.Equal(before, Commands.Count);
    }

    [Fact]
    public async Task A_job_that_leaves_the_queue_moves_everyone_behind_it_up_and_one_that_ended_unseen_is_published_for_reading_again()
    {
        await AddUserAsync("ann");
        var first = await AddJobAsync("ann", SubmissionStatus.Queued);
        var second = await AddJobAsync("ann", SubmissionStatus.Queued);
        var changes = new List<JobChange>();
        using var following = Jobs.Subscribe(_ => true, c => { lock (changes) changes.AddRange(c); });
        await Jobs.PollAsync(Clock);
        changes.Clear();

        // Cancelled with FinishedAt far behind the database's clock (a worker's clock that trails): outside the look-back.
        await using (var db = await Services.GetRequiredService<IDbContextFactory<CourseDbContext>>().CreateDbContextAsync())
        {
            await db.Submissions.Where(s => s.Id == first).ExecuteUpdateAsync(u => u
                .SetProperty(s => s.Status, SubmissionStatus.Cancelled).SetProperty(s => s.FinishedAt, DateTimeOffset.UtcNow.AddHours(-1)));
        }
        Assert.Equal(2, await Jobs.PollAsync(Clock));

        Assert.Equal([(second, (SubmissionStatus?)SubmissionStatus.Queued, (int?)1, false), (first, null, null, true)],
            changes.Select(c => (c.SubmissionId, c.Status, c.Position, c.StatusChanged)));
    }
}
