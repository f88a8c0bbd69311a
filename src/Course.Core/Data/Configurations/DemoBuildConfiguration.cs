using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;

namespace Course.Core.Data.Configurations;

internal sealed class DemoBuildConfiguration : IEntityTypeConfiguration<DemoBuild>
{
    public void Configure(EntityTypeBuilder<DemoBuild> builder)
    {
        // Keyed by the model: two nodes queuing the same missing model at once make one row.
        builder.HasKey(b => b.ModelId);
        builder.Property(b => b.ModelId).HasMaxLength(DemoBuild.ModelIdMaxLength);
        builder.Property(b => b.State).HasConversion<string>().HasMaxLength(20);
        builder.Property(b => b.LeaseOwner).HasMaxLength(WorkerRegistration.IdMaxLength);
    }
}
