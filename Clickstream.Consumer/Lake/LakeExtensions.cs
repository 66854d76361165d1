using Clickstream.Consumer.Checkpoints;
using Clickstream.Consumer.Lake;
using Microsoft.Extensions.Options;

namespace Microsoft.Extensions.Hosting;

public static class LakeExtensions
{
    /// <summary>The Parquet lake (section <c>Lake</c>); it rides on the checkpoints, so it needs them.</summary>
    public static IHostApplicationBuilder AddEventLake(this IHostApplicationBuilder builder)
    {
        builder.Services.AddOptions<LakeOptions>().BindConfiguration(LakeOptions.SectionName)
            .Validate<IOptions<CheckpointOptions>>((lake, checkpoints) => !lake.Enabled || checkpoints.Value.Enabled,
                "The lake (Lake:Directory or Lake:Blob*) needs checkpoints (Checkpoints:Directory or Blob*): its exactly-once rides on them.")
            .Validate(o => !o.UsesBlob || !string.IsNullOrWhiteSpace(o.BlobContainer), "Lake:BlobContainer must name a container.")
            .Validate(o => o.CloseAfter >= TimeSpan.Zero, "Lake:CloseAfter must not be negative.")
            .ValidateOnStart();
        builder.Services.AddSingleton<EventLake>();
        return builder;
    }
}
