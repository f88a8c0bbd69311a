using Bunit;
using Course.Core.Data;
using Course.Grading.Workers;
using Course.Web.Components.Grading;

namespace Course.Web.Tests;

/// <summary>The Workers table of the instructors' grading page, from rows <see cref="WorkerOverview"/> judged.</summary>
public class WorkersTableTests : CourseComponentTest
{
    private static WorkerRow Row(string id, string device, WorkerState state, int secondsAgo, long? job = null, string? assignment = null) => new(
        new WorkerRegistration
        {
            Id = id, Host = id.Split(':')[0], ProcessId = int.Parse(id.Split(':')[1]), Device = device, Queues = "default,gpu", CurrentSubmissionId = job,
        },
        state, TimeSpan.FromSeconds(secondsAgo), assignment);

    [Fact]
    public void Each_worker_shows_host_pid_device_queues_job_heartbeat_and_state_and_lost_ones_are_called_out()
    {
        var table = Render<WorkersTable>(p => p.Add(x => x.Rows, [
            Row("gpu-1:311", "cuda:0", WorkerState.Running, 2, job: 12, assignment: "reviews"),
            Row("cpu-1:42", "cpu", WorkerState.Idle, 1),
            Row("gpu-2:7", "cuda:1", WorkerState.Lost, 95, job: 9, assignment: "ner"),
            Row("cpu-2:8", "cpu", WorkerState.Stopped, 3 * 3600),
        ]));

        var cells = table.FindAll("[data-testid=worker-row]").Select(r => r.QuerySelectorAll("td").Select(td => td.TextContent.Trim()).ToArray()).ToList();
        Assert.Equal([
            ["gpu-1", "311", "cuda:0", "default,gpu", "#12 reviews", "2 s ago", "running"],
            ["cpu-1", "42", "cpu", "default,gpu", "", "1 s ago", "idle"],
            ["gpu-2", "7", "cuda:1", "default,gpu", "#9 ner", "95 s ago", "lost"],
            ["cpu-2", "8", "cpu", "default,gpu", "", "3 h ago", "stopped"],
        ], cells);
        Assert.Equal("1 running · 1 idle · 1 lost: no heartbeat for longer than a lease; their jobs go back to the queue",
            table.Find("[data-testid=grading-workers]").PreviousElementSibling!.TextContent.Trim());
        Assert.Empty(table.FindAll("[data-testid=no-workers]"));
    }

    [Fact]
    public void With_no_worker_the_table_says_how_to_start_one()
    {
        var table = Render<WorkersTable>(p => p.Add(x => x.Rows, []));

        Assert.Empty(table.FindAll("[data-testid=worker-row]"));
        Assert.Equal("No grading worker has reported in the last 7 days: start one with ./course worker, or set Grading:Workers.",
            table.Find("[data-testid=no-workers]").TextContent.Trim());
    }
}
