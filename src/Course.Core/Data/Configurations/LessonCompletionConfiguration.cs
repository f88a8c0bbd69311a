using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;

namespace Course.Core.Data.Configurations;

internal sealed class LessonCompletionConfiguration : IEntityTypeConfiguration<LessonCompletion>
{
    public void Configure(EntityTypeBuilder<LessonCompletion> builder)
    {
        builder.Property(c => c.LessonId).HasMaxLength(200);
        // Completing twice is a no-op, not a second row.
        builder.HasIndex(c => new { c.UserId, c.LessonId }).IsUnique();
        builder.HasOne<CourseUser>().WithMany(u => u.LessonCompletions)
            .HasForeignKey(c => c.UserId).OnDelete(DeleteBehavior.Cascade);
    }
}

internal sealed class InvitationConfiguration : IEntityTypeConfiguration<Invitation>
{
    public void Configure(EntityTypeBuilder<Invitation> builder)
    {
        builder.Property(i => i.Code).HasMaxLength(64);
        builder.HasIndex(i => i.Code).IsUnique();
        // Deleting a student's data must not be blocked by an invitation they used or an instructor issued.
        builder.HasOne<CourseUser>().WithMany().HasForeignKey(i => i.CreatedByUserId).OnDelete(DeleteBehavior.Cascade);
        builder.HasOne<CourseUser>().WithMany().HasForeignKey(i => i.UsedByUserId).OnDelete(DeleteBehavior.SetNull);
    }
}
