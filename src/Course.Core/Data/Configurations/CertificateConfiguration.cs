using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;

namespace Course.Core.Data.Configurations;

internal sealed class CertificateConfiguration : IEntityTypeConfiguration<Certificate>
{
    public void Configure(EntityTypeBuilder<Certificate> builder)
    {
        builder.Property(c => c.Id).HasMaxLength(Certificate.IdLength);
        builder.Property(c => c.ModuleId).HasMaxLength(Certificate.ModuleIdMaxLength);
        builder.Property(c => c.KeyId).HasMaxLength(Certificate.KeyIdMaxLength);
        // One certificate per student and module: issuing twice (two tabs, two nodes) keeps the first row.
        builder.HasIndex(c => new { c.UserId, c.ModuleId }).IsUnique();
        // Deleting an account deletes its certificates with its other personal data.
        builder.HasOne<CourseUser>().WithMany().HasForeignKey(c => c.UserId).OnDelete(DeleteBehavior.Cascade);
    }
}

internal sealed class CertificateSigningKeyConfiguration : IEntityTypeConfiguration<CertificateSigningKey>
{
    public void Configure(EntityTypeBuilder<CertificateSigningKey> builder) =>
        builder.Property(k => k.Id).HasMaxLength(Certificate.KeyIdMaxLength);
}
