using Azure;
using Azure.Core;
using Azure.Identity;
using Confluent.Kafka;
using Microsoft.Extensions.DependencyInjection;

namespace Clickstream.ServiceDefaults.Kafka;

/// <summary>
/// Hands librdkafka Microsoft Entra tokens for the Event Hubs namespace (OAUTHBEARER). The credential is
/// the <see cref="TokenCredential"/> registered in DI, else <see cref="DefaultAzureCredential"/>
/// (managed identity when deployed, the developer's Azure CLI login locally).
/// </summary>
public sealed class EntraTokenSource(TokenCredential credential, string scope)
{
    public static EntraTokenSource Create(IServiceProvider services, KafkaConnection connection) =>
        new(services.GetService<TokenCredential>() ?? new DefaultAzureCredential(), connection.TokenScope!);

    /// <summary>Called by librdkafka's refresh callback; sets the token or reports why there is none.</summary>
    public void Refresh(IClient client)
    {
        try
        {
            var token = credential.GetToken(new TokenRequestContext([scope]), CancellationToken.None);
            client.OAuthBearerSetToken(token.Token, token.ExpiresOn.ToUnixTimeMilliseconds(), principalName: "clickstream");
        }
        catch (Exception ex) when (ex is AuthenticationFailedException or CredentialUnavailableException or RequestFailedException)
        {
            // The message names the failing credential, never a secret.
            client.OAuthBearerSetTokenFailure($"No Entra ID token for {scope}: {ex.Message}");
        }
    }
}
