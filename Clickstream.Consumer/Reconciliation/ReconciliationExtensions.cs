using Clickstream.Consumer.Reconciliation;

namespace Microsoft.Extensions.Hosting;

public static class ReconciliationExtensions
{
    public static IHostApplicationBuilder AddPipelineReconciliation(this IHostApplicationBuilder builder)
    {
        builder.Services.AddOptions<ReconciliationOptions>().BindConfiguration(ReconciliationOptions.SectionName);
        builder.Services.AddHttpClient(PipelineReconciler.HttpClientName);
        builder.Services.AddSingleton<PipelineReconciler>();
        builder.Services.AddHostedService(sp => sp.GetRequiredService<PipelineReconciler>());
        return builder;
    }
}
