using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;

namespace Course.Core.Data.Configurations;

internal sealed class WorkerRegistrationConfiguration : IEntityTypeConfiguration<WorkerRegistration>
{
    public void Configure(EntityTypeBuilder<WorkerRegistration> builder)
    {
        builder.ToTable("GradingWorkers");
        builder.Property(w => w.Id).HasMaxLength(WorkerRegistration.IdMaxLength);
        builder.Property(w => w.Host).HasMaxLength(200);
        builder.Property(w => w.Device).HasMaxLength(50);
        builder.Property(w => w.Queues).HasMaxLength(500);
        builder.Property(w => w.CurrentDemoModelId).HasMaxLength(DemoBuild.ModelIdMaxLength);
        // No foreign key to Submissions: the row reports what the worker said, and a submission deleted with its
        // account must not block (or be blocked by) a worker's heartbeat.
    }
}
