using Clickstream.Consumer.Checkpoints;

namespace Microsoft.Extensions.Hosting;

public static class CheckpointExtensions
{
    public static IHostApplicationBuilder AddStateCheckpoints(this IHostApplicationBuilder builder)
    {
        builder.Services.AddOptions<CheckpointOptions>().BindConfiguration(CheckpointOptions.SectionName)
            .Validate(o => o.Interval > TimeSpan.Zero, "Checkpoints:Interval must be positive.")
            .Validate(o => o.Keep >= 2, "Checkpoints:Keep must be at least 2 (the newest and one to fall back to).")
            .ValidateOnStart();
        builder.Services.AddSingleton<CheckpointMetrics>();
        builder.Services.AddSingleton<StateCheckpointer>();
        return builder;
    }
}
