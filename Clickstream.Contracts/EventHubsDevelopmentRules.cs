namespace Clickstream.Contracts;

/// <summary>
/// The shared access rules the embedded emulator's Event Hubs listener knows unless configured otherwise,
/// and the AppHost hands to the services in <c>eventhubs-local</c> mode. Public development values, like
/// Microsoft's Event Hubs emulator's <c>SAS_KEY_VALUE</c>: they open only a broker on this machine.
/// </summary>
public static class EventHubsDevelopmentRules
{
    /// <summary>Send, Listen and Manage; the name and key Microsoft's emulator uses.</summary>
    public const string RootName = "RootManageSharedAccessKey";

    public const string RootKey = "SAS_KEY_VALUE";

    /// <summary>Send only: the shipper's rule (the same name as in <c>infra/</c>).</summary>
    public const string SendName = "shipper-send";

    public const string SendKey = "SEND_KEY_VALUE";

    /// <summary>Listen only: the dashboard consumer's rule.</summary>
    public const string ListenName = "consumer-listen";

    public const string ListenKey = "LISTEN_KEY_VALUE";

    /// <summary>The generated development CA (PEM) in the listener's certificate directory: the clients' <c>ssl.ca.location</c>.</summary>
    public const string CaFileName = "ca.crt";

    /// <summary>An Event Hubs connection string for a local endpoint, as the Azure portal spells one.</summary>
    public static string ConnectionString(string host, int port, string ruleName, string key, string entityPath) =>
        $"Endpoint=sb://{host}:{port}/;SharedAccessKeyName={ruleName};SharedAccessKey={key};EntityPath={entityPath}";
}
