using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;

namespace Course.Core.Data.Configurations;

internal sealed class QuizAttemptConfiguration : IEntityTypeConfiguration<QuizAttempt>
{
    public void Configure(EntityTypeBuilder<QuizAttempt> builder)
    {
        builder.Property(a => a.QuizId).HasMaxLength(100);
        builder.Property(a => a.QuizVersion).HasMaxLength(64);
        builder.Property(a => a.Secret).HasMaxLength(64);
        builder.Property(a => a.State).HasConversion<string>().HasMaxLength(20);
        // Two tabs starting attempt N at once: the unique index lets one win.
        builder.HasIndex(a => new { a.UserId, a.QuizId, a.Number }).IsUnique();
        builder.HasOne<CourseUser>().WithMany().HasForeignKey(a => a.UserId).OnDelete(DeleteBehavior.Cascade);
    }
}

internal sealed class QuizAttemptGrantConfiguration : IEntityTypeConfiguration<QuizAttemptGrant>
{
    public void Configure(EntityTypeBuilder<QuizAttemptGrant> builder)
    {
        builder.Property(g => g.QuizId).HasMaxLength(100);
        builder.HasIndex(g => new { g.UserId, g.QuizId });
        builder.HasOne<CourseUser>().WithMany().HasForeignKey(g => g.UserId).OnDelete(DeleteBehavior.Cascade);
    }
}

internal sealed class AuditEntryConfiguration : IEntityTypeConfiguration<AuditEntry>
{
    public void Configure(EntityTypeBuilder<AuditEntry> builder)
    {
        builder.Property(e => e.Action).HasMaxLength(50);
        builder.HasIndex(e => e.SubjectUserId);
    }
}
