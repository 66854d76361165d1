using Confluent.Kafka;
using Microsoft.Extensions.Diagnostics.HealthChecks;

namespace Clickstream.Consumer.Consuming;

/// <summary>
/// The broker refusing this consumer's credentials the right to read (an Event Hubs rule without Listen: every fetch
/// answers TOPIC_AUTHORIZATION_FAILED, while metadata, and so the Kafka client's own health check, still succeed).
/// Unhealthy from the refusal until a message arrives again.
/// </summary>
public sealed class ConsumeRefusals : IHealthCheck
{
    private volatile string? _refused;

    /// <summary>Whether the error means the consumer may not read, rather than a passing fault.</summary>
    public static bool IsRefusal(ErrorCode code) => code is ErrorCode.TopicAuthorizationFailed or ErrorCode.GroupAuthorizationFailed
        or ErrorCode.ClusterAuthorizationFailed;

    public void Refused(Error error) => _refused = $"{error.Code}: {error.Reason}";

    /// <summary>Called for each message received; clears a refusal once reading works again.</summary>
    public void Received()
    {
        if (_refused is not null)
        {
            _refused = null;
        }
    }

    public Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default) =>
        Task.FromResult(_refused is { } refused
            ? HealthCheckResult.Unhealthy($"The broker refuses this consumer's reads ({refused}): its credentials lack the right to listen.")
            : HealthCheckResult.Healthy());
}
