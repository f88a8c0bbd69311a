using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace Course.Core.Data.Migrations
{
    /// <inheritdoc />
    public partial class ModelSharing : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropColumn(
                name: "ModelPublished",
                table: "Submissions");

            migrationBuilder.CreateTable(
                name: "ModelPublications",
                columns: table => new
                {
                    Id = table.Column<long>(type: "INTEGER", nullable: false)
                        .Annotation("Sqlite:Autoincrement", true),
                    SubmissionId = table.Column<long>(type: "INTEGER", nullable: false),
                    UserId = table.Column<string>(type: "TEXT", nullable: false),
                    AssignmentId = table.Column<string>(type: "TEXT", maxLength: 100, nullable: false),
                    IntendedUse = table.Column<string>(type: "TEXT", maxLength: 2000, nullable: false),
                    Limitations = table.Column<string>(type: "TEXT", maxLength: 2000, nullable: false),
                    PublishedAt = table.Column<long>(type: "INTEGER", nullable: false),
                    UnpublishedAt = table.Column<long>(type: "INTEGER", nullable: true),
                    UnpublishedByUserId = table.Column<string>(type: "TEXT", maxLength: 450, nullable: true),
                    UnpublishReason = table.Column<string>(type: "TEXT", maxLength: 500, nullable: true)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_ModelPublications", x => x.Id);
                    table.ForeignKey(
                        name: "FK_ModelPublications_Submissions_SubmissionId",
                        column: x => x.SubmissionId,
                        principalTable: "Submissions",
                        principalColumn: "Id",
                        onDelete: ReferentialAction.Cascade);
                });

            migrationBuilder.CreateIndex(
                name: "IX_ModelPublications_SubmissionId",
                table: "ModelPublications",
                column: "SubmissionId",
                unique: true);
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropTable(
                name: "ModelPublications");

            migrationBuilder.AddColumn<bool>(
                name: "ModelPublished",
                table: "Submissions",
                type: "INTEGER",
                nullable: false,
                defaultValue: false);
        }
    }
}
