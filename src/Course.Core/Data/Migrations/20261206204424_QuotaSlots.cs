using System;
using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace Course.Core.Data.Migrations
{
    /// <inheritdoc />
    public partial class QuotaSlots : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.AddColumn<DateOnly>(
                name: "QuotaDay",
                table: "Submissions",
                type: "TEXT",
                nullable: true);

            migrationBuilder.AddColumn<int>(
                name: "QuotaSlot",
                table: "Submissions",
                type: "INTEGER",
                nullable: true);

            // Charged submissions take slots 1, 2, … of their UTC day in the order they came (CreatedAt is stored in UTC,
            // so its first ten characters are the day, as a DateOnly is stored).
            migrationBuilder.Sql("""
                UPDATE Submissions SET QuotaDay = substr(CreatedAt, 1, 10),
                    QuotaSlot = (SELECT COUNT(*) FROM Submissions AS earlier
                                 WHERE earlier.UserId = Submissions.UserId AND earlier.AssignmentId = Submissions.AssignmentId
                                   AND earlier.CountsAgainstQuota = 1 AND substr(earlier.CreatedAt, 1, 10) = substr(Submissions.CreatedAt, 1, 10)
                                   AND earlier.Id <= Submissions.Id)
                WHERE CountsAgainstQuota = 1;
                """);

            // SQLite drops a plain column in place (3.35+); EF's DropColumn would rebuild the table, which cannot
            // run inside the migration's transaction (and warns on every new database).
            migrationBuilder.Sql("""ALTER TABLE "Submissions" DROP COLUMN "CountsAgainstQuota";""");

            migrationBuilder.CreateIndex(
                name: "IX_Submissions_UserId_AssignmentId_QuotaDay_QuotaSlot",
                table: "Submissions",
                columns: new[] { "UserId", "AssignmentId", "QuotaDay", "QuotaSlot" },
                unique: true);
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropIndex(
                name: "IX_Submissions_UserId_AssignmentId_QuotaDay_QuotaSlot",
                table: "Submissions");

            migrationBuilder.AddColumn<bool>(
                name: "CountsAgainstQuota",
                table: "Submissions",
                type: "INTEGER",
                nullable: false,
                defaultValue: false);

            migrationBuilder.Sql("UPDATE Submissions SET CountsAgainstQuota = QuotaSlot IS NOT NULL;");

            migrationBuilder.DropColumn(
                name: "QuotaDay",
                table: "Submissions");

            migrationBuilder.DropColumn(
                name: "QuotaSlot",
                table: "Submissions");
        }
    }
}
