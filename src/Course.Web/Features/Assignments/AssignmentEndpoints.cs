using Course.Web.Extensions;

namespace Course.Web.Features.Assignments;

/// <summary>
/// Files students may download (an assignment's public splits and starter: a fixed list, never a path from
/// the URL, so nothing else, least of all a hidden split, can be reached) and the instructors' gradebook CSV.
/// </summary>
public static class AssignmentEndpoints
{
    public static void MapAssignmentEndpoints(this IEndpointRouteBuilder app)
    {
        app.MapGet("/assignments/{id}/files/{file}", (string id, string file, AssignmentService assignments) =>
        {
            if (assignments.Find(id) is not { } assignment)
            {
                return Results.NotFound();
            }
            var path = file switch
            {
                "train.jsonl" => Path.Combine(assignments.DatasetsFolder, assignment.Rules.Dataset!, "train.jsonl"),
                "validation.jsonl" => Path.Combine(assignments.DatasetsFolder, assignment.Rules.Dataset!, "validation.jsonl"),
                "starter.yaml" => assignment.StarterPath,
                _ => null,
            };
            return path is null ? Results.NotFound() : Results.File(path, file.EndsWith(".yaml") ? "application/yaml" : "application/jsonl", $"{assignment.Id}-{file}");
        }).RequireAuthorization();

        app.MapGet("/instructor/gradebook.csv", async (AssignmentService assignments) =>
            Results.File(System.Text.Encoding.UTF8.GetBytes(await assignments.GradebookCsvAsync()), "text/csv", "gradebook.csv"))
            .RequireAuthorization(CoursePolicies.Instructor);
    }
}
