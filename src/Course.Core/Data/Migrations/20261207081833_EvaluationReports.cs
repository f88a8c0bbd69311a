using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace Course.Core.Data.Migrations
{
    /// <inheritdoc />
    public partial class EvaluationReports : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.AddColumn<string>(
                name: "Report",
                table: "Submissions",
                type: "TEXT",
                nullable: true);

            migrationBuilder.AddColumn<string>(
                name: "ReportComment",
                table: "Submissions",
                type: "TEXT",
                nullable: true);

            migrationBuilder.AddColumn<long>(
                name: "ReportGradedAt",
                table: "Submissions",
                type: "INTEGER",
                nullable: true);

            migrationBuilder.AddColumn<string>(
                name: "ReportGradedByUserId",
                table: "Submissions",
                type: "TEXT",
                maxLength: 450,
                nullable: true);

            migrationBuilder.AddColumn<string>(
                name: "ReportItems",
                table: "Submissions",
                type: "TEXT",
                maxLength: 2000,
                nullable: true);

            migrationBuilder.CreateTable(
                name: "ReportRegradeRequests",
                columns: table => new
                {
                    Id = table.Column<long>(type: "INTEGER", nullable: false)
                        .Annotation("Sqlite:Autoincrement", true),
                    SubmissionId = table.Column<long>(type: "INTEGER", nullable: false),
                    UserId = table.Column<string>(type: "TEXT", nullable: false),
                    Reason = table.Column<string>(type: "TEXT", nullable: false),
                    CreatedAt = table.Column<long>(type: "INTEGER", nullable: false),
                    Reply = table.Column<string>(type: "TEXT", nullable: true),
                    ResolvedAt = table.Column<long>(type: "INTEGER", nullable: true),
                    ResolvedByUserId = table.Column<string>(type: "TEXT", nullable: true)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_ReportRegradeRequests", x => x.Id);
                    table.ForeignKey(
                        name: "FK_ReportRegradeRequests_Submissions_SubmissionId",
                        column: x => x.SubmissionId,
                        principalTable: "Submissions",
                        principalColumn: "Id",
                        onDelete: ReferentialAction.Cascade);
                });

            migrationBuilder.CreateIndex(
                name: "IX_ReportRegradeRequests_SubmissionId",
                table: "ReportRegradeRequests",
                column: "SubmissionId",
                unique: true,
                filter: "\"ResolvedAt\" IS NULL");
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropTable(
                name: "ReportRegradeRequests");

            migrationBuilder.DropColumn(
                name: "Report",
                table: "Submissions");

            migrationBuilder.DropColumn(
                name: "ReportComment",
                table: "Submissions");

            migrationBuilder.DropColumn(
                name: "ReportGradedAt",
                table: "Submissions");

            migrationBuilder.DropColumn(
                name: "ReportGradedByUserId",
                table: "Submissions");

            migrationBuilder.DropColumn(
                name: "ReportItems",
                table: "Submissions");
        }
    }
}
