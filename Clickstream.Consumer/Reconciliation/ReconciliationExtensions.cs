using Clickstream.Consumer.Reconciliation;

namespace Microsoft.Extensions.Hosting;

public static class ReconciliationExtensions
{
    public static IHostApplicationBuilder AddPipelineReconciliation(this IHostApplicationBuilder builder)
    {
        builder.Services.AddOptions<ReconciliationOptions>().BindConfiguration(ReconciliationOptions.SectionName);
        // Service discovery (from the defaults) stays; retries do not: a poll that fails is simply "n/a"
        // until the next one, and retrying would log a warning with a stack trace every second.
#pragma warning disable EXTEXP0001 // experimental API, but the documented way to opt one client out of the defaults
        builder.Services.AddHttpClient(PipelineReconciler.HttpClientName).RemoveAllResilienceHandlers();
#pragma warning restore EXTEXP0001
        builder.Services.AddSingleton<PipelineReconciler>();
        builder.Services.AddHostedService(sp => sp.GetRequiredService<PipelineReconciler>());
        return builder;
    }
}
