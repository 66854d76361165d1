using Clickstream.KafkaEmulator.Hosting;
using Clickstream.KafkaEmulator.Mock;

namespace Microsoft.Extensions.Hosting;

public static class KafkaEmulatorExtensions
{
    public static IHostApplicationBuilder AddKafkaEmulator(this IHostApplicationBuilder builder)
    {
        builder.Services.AddOptions<KafkaEmulatorOptions>()
            .BindConfiguration(KafkaEmulatorOptions.SectionName)
            .ValidateDataAnnotations()
            .ValidateOnStart();
        builder.Services.AddSingleton<KafkaEmulatorService>();
        builder.Services.AddHostedService(sp => sp.GetRequiredService<KafkaEmulatorService>());
        builder.Services.AddHealthChecks().AddCheck<KafkaEmulatorService>("kafka-emulator");
        return builder;
    }

    /// <summary>Fault injection over HTTP, so chaos tests can steer the broker of a running pipeline.</summary>
    public static IEndpointRouteBuilder MapKafkaEmulatorApi(this IEndpointRouteBuilder app)
    {
        var faults = app.MapGroup("/faults");
        faults.MapPost("/brokers/{id:int}/down", (int id, KafkaEmulatorService emulator) => Run(() => emulator.Cluster.SetBrokerDown(id)));
        faults.MapPost("/brokers/{id:int}/up", (int id, KafkaEmulatorService emulator) => Run(() => emulator.Cluster.SetBrokerUp(id)));
        faults.MapPost("/brokers/{id:int}/latency", (int id, int ms, KafkaEmulatorService emulator) =>
            Run(() => emulator.Cluster.SetBrokerLatency(TimeSpan.FromMilliseconds(ms), id)));
        faults.MapPost("/errors/{api}", (KafkaApi api, Confluent.Kafka.ErrorCode[] errors, KafkaEmulatorService emulator) =>
            Run(() => emulator.Cluster.PushRequestErrors(api, errors)));
        app.MapGet("/bootstrap", (KafkaEmulatorService emulator) => emulator.Cluster.BootstrapServers);
        // What the Event Hubs listener refused or cut since the start, so tests of a running pipeline can see it.
        app.MapGet("/eventhubs", (KafkaEmulatorService emulator) => emulator.Listener is { } listener
            ? Results.Ok(new
            {
                listener.Port,
                listener.DevelopmentEmulatorPort,
                listener.CaPath,
                listener.Connections,
                listener.AuthenticationFailures,
                listener.AuthorizationFailures,
                listener.OversizedRequests,
                listener.IdleDisconnects,
            })
            : Results.NotFound());
        return app;
    }

    private static IResult Run(Action action)
    {
        try
        {
            action();
            return Results.NoContent();
        }
        catch (InvalidOperationException ex)
        {
            return Results.Problem(ex.Message, statusCode: StatusCodes.Status409Conflict);
        }
    }
}
