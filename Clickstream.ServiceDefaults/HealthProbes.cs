namespace Microsoft.Extensions.Hosting;

/// <summary>
/// Where every service answers its probes (<see cref="Extensions.MapDefaultEndpoints"/>); a service that routes
/// requests itself (the pixel) passes these on, and telemetry leaves them out.
/// </summary>
public static class HealthProbes
{
    /// <summary>Readiness: every health check must pass.</summary>
    public const string HealthPath = "/health";

    /// <summary>Liveness: only the checks tagged <c>live</c>.</summary>
    public const string AlivePath = "/alive";
}
