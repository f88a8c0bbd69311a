using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace Course.Core.Data.Migrations
{
    /// <inheritdoc />
    public partial class NamedQueues : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropIndex(
                name: "IX_Submissions_Status_CreatedAt",
                table: "Submissions");

            migrationBuilder.AddColumn<string>(
                name: "Queue",
                table: "Submissions",
                type: "TEXT",
                maxLength: 50,
                nullable: false,
                defaultValue: "default");

            migrationBuilder.CreateIndex(
                name: "IX_Submissions_Status_Queue_CreatedAt",
                table: "Submissions",
                columns: new[] { "Status", "Queue", "CreatedAt" });
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropIndex(
                name: "IX_Submissions_Status_Queue_CreatedAt",
                table: "Submissions");

            migrationBuilder.DropColumn(
                name: "Queue",
                table: "Submissions");

            migrationBuilder.CreateIndex(
                name: "IX_Submissions_Status_CreatedAt",
                table: "Submissions",
                columns: new[] { "Status", "CreatedAt" });
        }
    }
}
