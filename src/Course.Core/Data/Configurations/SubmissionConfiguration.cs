using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;

namespace Course.Core.Data.Configurations;

internal sealed class SubmissionConfiguration : IEntityTypeConfiguration<Submission>
{
    public void Configure(EntityTypeBuilder<Submission> builder)
    {
        builder.Property(s => s.AssignmentId).HasMaxLength(100);
        builder.Property(s => s.IdempotencyKey).HasMaxLength(100);
        builder.Property(s => s.LeaseOwner).HasMaxLength(200);
        builder.Property(s => s.Status).HasConversion<string>().HasMaxLength(20);
        // One job per form submission, whatever the number of clicks.
        builder.HasIndex(s => new { s.UserId, s.IdempotencyKey }).IsUnique();
        // The daily quota, enforced by the database: one submission per slot of a user's day on an assignment.
        builder.HasIndex(s => new { s.UserId, s.AssignmentId, s.QuotaDay, s.QuotaSlot }).IsUnique();
        builder.Ignore(s => s.CountsAgainstQuota);
        builder.Property(s => s.Queue).HasMaxLength(Submission.QueueMaxLength).HasDefaultValue(Submission.DefaultQueue);
        // The claim query: the oldest queued job of the worker's queues.
        builder.HasIndex(s => new { s.Status, s.Queue, s.CreatedAt });
        builder.HasOne<CourseUser>().WithMany().HasForeignKey(s => s.UserId).OnDelete(DeleteBehavior.Cascade);
        builder.Property(s => s.ReportItems).HasMaxLength(2000);
        builder.Property(s => s.ReportGradedByUserId).HasMaxLength(450);
    }
}

internal sealed class ReportRegradeRequestConfiguration : IEntityTypeConfiguration<ReportRegradeRequest>
{
    public void Configure(EntityTypeBuilder<ReportRegradeRequest> builder)
    {
        // One open request per submission, held by the database, so two tabs cannot both open one.
        builder.HasIndex(r => r.SubmissionId).IsUnique().HasFilter("\"ResolvedAt\" IS NULL");
        builder.HasOne<Submission>().WithMany().HasForeignKey(r => r.SubmissionId).OnDelete(DeleteBehavior.Cascade);
    }
}

internal sealed class AssignmentExtensionConfiguration : IEntityTypeConfiguration<AssignmentExtension>
{
    public void Configure(EntityTypeBuilder<AssignmentExtension> builder)
    {
        builder.Property(e => e.AssignmentId).HasMaxLength(100);
        builder.HasIndex(e => new { e.UserId, e.AssignmentId });
        builder.HasOne<CourseUser>().WithMany().HasForeignKey(e => e.UserId).OnDelete(DeleteBehavior.Cascade);
    }
}

internal sealed class ModelPublicationConfiguration : IEntityTypeConfiguration<ModelPublication>
{
    public void Configure(EntityTypeBuilder<ModelPublication> builder)
    {
        // One publication per submission: the database refuses a second row from a second tab.
        builder.HasIndex(p => p.SubmissionId).IsUnique();
        builder.Property(p => p.AssignmentId).HasMaxLength(100);
        builder.Property(p => p.IntendedUse).HasMaxLength(ModelPublication.SectionMaxLength);
        builder.Property(p => p.Limitations).HasMaxLength(ModelPublication.SectionMaxLength);
        builder.Property(p => p.UnpublishedByUserId).HasMaxLength(450);
        builder.Property(p => p.UnpublishReason).HasMaxLength(Configuration.TextLimits.Reason);
        builder.Ignore(p => p.IsPublished);
        builder.Ignore(p => p.TakenDown);
        builder.HasOne<Submission>().WithMany().HasForeignKey(p => p.SubmissionId).OnDelete(DeleteBehavior.Cascade);
    }
}
