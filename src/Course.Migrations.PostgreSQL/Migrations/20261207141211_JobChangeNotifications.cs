using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace Course.Migrations.PostgreSQL.Migrations
{
    /// <inheritdoc />
    public partial class JobChangeNotifications : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            // Every change of a job's status or progress, and every job added or deleted (which moves the places in
            // line), notifies channel course_jobs with the submission id; a site node's JobChangeListener LISTENs on it.
            // A trigger rather than a NOTIFY in SubmissionQueue: it covers every writer, including the CLI, an
            // instructor's psql session and workers on other machines that run an older build, and nobody can add a
            // write that forgets it. pg_notify inside the writing transaction is delivered at commit, so a listener
            // never hears of a row it cannot read yet. UPDATE has a trigger of its own so that its WHEN can skip
            // heartbeats that only renew a lease; an INSERT trigger's WHEN could not name OLD.
            migrationBuilder.Sql("""
                CREATE FUNCTION course_notify_job_change() RETURNS trigger LANGUAGE plpgsql AS $$
                BEGIN
                    PERFORM pg_notify('course_jobs', (CASE WHEN TG_OP = 'DELETE' THEN OLD."Id" ELSE NEW."Id" END)::text);
                    RETURN NULL;
                END
                $$;

                CREATE TRIGGER course_jobs_added_or_deleted AFTER INSERT OR DELETE ON "Submissions"
                    FOR EACH ROW EXECUTE FUNCTION course_notify_job_change();

                CREATE TRIGGER course_jobs_changed AFTER UPDATE ON "Submissions"
                    FOR EACH ROW WHEN (OLD."Status" IS DISTINCT FROM NEW."Status" OR OLD."ProgressJson" IS DISTINCT FROM NEW."ProgressJson")
                    EXECUTE FUNCTION course_notify_job_change();
                """);
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.Sql("""
                DROP TRIGGER course_jobs_changed ON "Submissions";
                DROP TRIGGER course_jobs_added_or_deleted ON "Submissions";
                DROP FUNCTION course_notify_job_change();
                """);
        }
    }
}
