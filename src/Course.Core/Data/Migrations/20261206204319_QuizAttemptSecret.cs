using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace Course.Core.Data.Migrations
{
    /// <inheritdoc />
    public partial class QuizAttemptSecret : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.AddColumn<string>(
                name: "Secret",
                table: "QuizAttempts",
                type: "TEXT",
                maxLength: 64,
                nullable: false,
                defaultValue: "");

            // Attempts made before this column get their own random key: their order and option tokens change once,
            // their answers (stored with the quiz's option ids) and scores do not.
            migrationBuilder.Sql("UPDATE QuizAttempts SET Secret = lower(hex(randomblob(32))) WHERE Secret = '';");
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropColumn(
                name: "Secret",
                table: "QuizAttempts");
        }
    }
}
