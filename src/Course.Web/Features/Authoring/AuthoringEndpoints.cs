using Course.Core.Authoring;
using Course.Web.Extensions;

namespace Course.Web.Features.Authoring;

/// <summary>Downloads for instructors: a saved quiz in Moodle's GIFT format, to import into the LMS they already use.</summary>
public static class AuthoringEndpoints
{
    public static void MapAuthoringEndpoints(this IEndpointRouteBuilder app)
    {
        app.MapGet("/instructor/editor/export.gift", (string file, ContentEditor editor) =>
        {
            try
            {
                var export = editor.ExportGift(file);
                return Results.File(System.Text.Encoding.UTF8.GetBytes(export.Text), "text/plain; charset=utf-8", $"{export.QuizId}.gift");
            }
            catch (Exception ex) when (ex is ArgumentException or Course.Core.Content.ContentException)
            {
                return Results.BadRequest(ex.Message);
            }
        }).RequireAuthorization(CoursePolicies.Instructor);
    }
}
