using System.Data.Common;
using System.Security.Cryptography;
using System.Text;

namespace Clickstream.KafkaEmulator.EventHubs;

/// <summary>The outcome of a SASL PLAIN exchange: the rule that matched, or why none did (never quoting the key).</summary>
internal readonly record struct SasResult(SasRule? Rule, string? Failure);

/// <summary>
/// Checks a SASL PLAIN token the way Event Hubs does: user <c>$ConnectionString</c>, password a
/// connection string whose <c>SharedAccessKeyName</c> and <c>SharedAccessKey</c> match a rule.
/// </summary>
internal sealed class SasAuthenticator(IReadOnlyList<SasRule> rules, bool developmentEmulator)
{
    public const string UserName = "$ConnectionString";

    public SasResult Authenticate(ReadOnlySpan<byte> token)
    {
        // authzid NUL authcid NUL password
        var first = token.IndexOf((byte)0);
        var second = first < 0 ? -1 : token[(first + 1)..].IndexOf((byte)0);
        if (second < 0)
        {
            return new(null, "Invalid SASL PLAIN token.");
        }

        var user = Encoding.UTF8.GetString(token.Slice(first + 1, second));
        if (user != UserName)
        {
            return new(null, $"Invalid SASL user name: use '{UserName}' with the connection string as the password.");
        }

        DbConnectionStringBuilder connection;
        try
        {
            connection = new DbConnectionStringBuilder { ConnectionString = Encoding.UTF8.GetString(token[(first + second + 2)..]) };
        }
        catch (ArgumentException)
        {
            return new(null, "The password is not an Event Hubs connection string.");
        }

        if (!connection.ContainsKey("Endpoint"))
        {
            return new(null, "The connection string has no Endpoint.");
        }

        if (developmentEmulator && !string.Equals(Value(connection, "UseDevelopmentEmulator"), "true", StringComparison.OrdinalIgnoreCase))
        {
            return new(null, "This port follows the Event Hubs emulator's convention: the connection string needs UseDevelopmentEmulator=true.");
        }

        var name = Value(connection, "SharedAccessKeyName");
        var key = Value(connection, "SharedAccessKey");
        if (name is null || key is null)
        {
            return new(null, "The connection string needs SharedAccessKeyName and SharedAccessKey.");
        }

        var rule = rules.FirstOrDefault(r => r.Name == name);
        if (rule is null)
        {
            return new(null, $"Unauthorized: no shared access rule '{name}'.");
        }

        return CryptographicOperations.FixedTimeEquals(Encoding.UTF8.GetBytes(key), Encoding.UTF8.GetBytes(rule.Key))
            ? new(rule, null)
            : new(null, $"Unauthorized: the SharedAccessKey does not match rule '{name}'.");
    }

    private static string? Value(DbConnectionStringBuilder connection, string key) =>
        connection.TryGetValue(key, out var value) ? value as string : null;
}
