using System.Collections.Concurrent;
using Azure.Core;
using Clickstream.Contracts;
using Clickstream.ServiceDefaults.Kafka;
using Confluent.Kafka;

namespace Clickstream.ServiceDefaults.Tests;

public sealed class EntraIdTests
{
    private const string Keyless = "Endpoint=sb://clicks-ns.servicebus.windows.net/;EntityPath=" + PipelineDefaults.Topic;

    [Fact]
    public void A_connection_string_without_a_key_means_oauthbearer_with_the_namespace_scope()
    {
        var connection = KafkaConnection.Parse(Keyless);
        var config = new ProducerConfig();
        connection.ApplyTo(config);

        Assert.True(connection.UsesEntraId);
        Assert.Equal("https://clicks-ns.servicebus.windows.net/.default", connection.TokenScope);
        Assert.Equal(SaslMechanism.OAuthBearer, config.SaslMechanism);
        Assert.Equal(SecurityProtocol.SaslSsl, config.SecurityProtocol);
        Assert.Null(config.SaslPassword);
        Assert.Null(config.SaslUsername);
    }

    [Fact]
    public void A_sas_connection_string_does_not_use_entra_id()
    {
        var connection = KafkaConnection.Parse("Endpoint=sb://ns.servicebus.windows.net/;SharedAccessKeyName=send;SharedAccessKey=abc;EntityPath=h");
        Assert.False(connection.UsesEntraId);
        Assert.Null(connection.TokenScope);
    }

    [Fact]
    public async Task Librdkafka_asks_the_credential_for_a_token_of_the_namespace_scope()
    {
        var credential = new RecordingCredential();
        var tokens = new EntraTokenSource(credential, "https://clicks-ns.servicebus.windows.net/.default");
        // A broker nobody listens on: only the token refresh is exercised, no connection is needed.
        using var producer = new ProducerBuilder<Null, string>(new ProducerConfig
            {
                BootstrapServers = "127.0.0.1:1",
                SecurityProtocol = SecurityProtocol.SaslPlaintext,
                SaslMechanism = SaslMechanism.OAuthBearer,
            })
            .SetOAuthBearerTokenRefreshHandler((client, _) => tokens.Refresh(client))
            .Build();

        var deadline = DateTime.UtcNow.AddSeconds(10);
        while (credential.Scopes.IsEmpty && DateTime.UtcNow < deadline)
        {
            producer.Poll(TimeSpan.FromMilliseconds(100));
            await Task.Yield();
        }

        Assert.Contains("https://clicks-ns.servicebus.windows.net/.default", credential.Scopes);
    }

    private sealed class RecordingCredential : TokenCredential
    {
        public ConcurrentBag<string> Scopes { get; } = [];

        public override AccessToken GetToken(TokenRequestContext requestContext, CancellationToken cancellationToken)
        {
            foreach (var scope in requestContext.Scopes)
            {
                Scopes.Add(scope);
            }

            return new AccessToken("header.payload.signature", DateTimeOffset.UtcNow.AddHours(1));
        }

        public override ValueTask<AccessToken> GetTokenAsync(TokenRequestContext requestContext, CancellationToken cancellationToken) =>
            ValueTask.FromResult(GetToken(requestContext, cancellationToken));
    }
}
