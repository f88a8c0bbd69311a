using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace Course.Core.Data.Migrations
{
    /// <inheritdoc />
    public partial class GradingVerifyAndKeep : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.AddColumn<bool>(
                name: "KeepWeights",
                table: "Submissions",
                type: "INTEGER",
                nullable: false,
                defaultValue: false);

            migrationBuilder.AddColumn<long>(
                name: "VerifiesId",
                table: "Submissions",
                type: "INTEGER",
                nullable: true);
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropColumn(
                name: "KeepWeights",
                table: "Submissions");

            migrationBuilder.DropColumn(
                name: "VerifiesId",
                table: "Submissions");
        }
    }
}
