using Course.Core.Data;
using Course.Web.Features.Assignments;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;

namespace Course.Web.Tests;

public class GradebookCsvTests : CourseComponentTest
{
    [Fact]
    public async Task Cells_a_spreadsheet_would_run_as_formulas_are_quoted_text()
    {
        await using (var db = await Services.GetRequiredService<IDbContextFactory<CourseDbContext>>().CreateDbContextAsync())
        {
            foreach (var (id, email) in new[]
                     {
                         ("u1", "+1+1@x.y"), ("u2", "-2+3@x.y"), ("u3", "=HYPERLINK(\"http://evil\",\"grade\")"), ("u4", "@SUM(1)@x.y"),
                         ("u5", "\t=1@x.y"), ("u6", "\r=1@x.y"), ("u7", "plain@x.y"),
                     })
            {
                db.Users.Add(new CourseUser { Id = id, UserName = id, Email = email });
            }
            await db.SaveChangesAsync();
        }

        var csv = await Services.GetRequiredService<AssignmentService>().GradebookCsvAsync();

        // Ordered by e-mail (ordinal in SQLite): tab, CR, +, -, =, @, p.
        Assert.Equal(string.Join(Environment.NewLine,
            "email",
            "'\t=1@x.y",
            "\"'\r=1@x.y\"",
            "'+1+1@x.y",
            "'-2+3@x.y",
            "\"'=HYPERLINK(\"\"http://evil\"\",\"\"grade\"\")\"",
            "'@SUM(1)@x.y",
            "plain@x.y",
            ""), csv);
    }
}
