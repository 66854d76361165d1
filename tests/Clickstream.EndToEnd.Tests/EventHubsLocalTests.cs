using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using Aspire.Hosting;
using Aspire.Hosting.Testing;
using Clickstream.Contracts;
using Clickstream.Shipper.DeadLetters;
using Clickstream.Tests;

namespace Clickstream.EndToEnd.Tests;

/// <summary>
/// The AppHost in <c>Kafka:Mode=eventhubs-local</c>: the emulator behind its Event Hubs listener, the shipper
/// with a Send connection string, the consumer with a Listen one, over TLS with the generated CA, so the
/// production client path (SASL_SSL PLAIN, <c>$ConnectionString</c>, the Event Hubs settings) runs end to end.
/// Connections idle for 3 s are cut, as Event Hubs cuts them after 240 s.
/// </summary>
public class EventHubsLocalFixture : PipelineFixture
{
    /// <summary>What a wrong key looks like in these tests; no log line may ever show it.</summary>
    public const string WrongKey = "WRONG_KEY_NEVER_LOGGED";

    public static readonly TimeSpan IdleTimeout = TimeSpan.FromSeconds(3);

    public int EventHubsPort { get; private set; }

    public int EmulatorConventionPort { get; private set; }

    public string CaPath => Path.Combine(DataDirectory, "kafka-tls", EventHubsDevelopmentRules.CaFileName);

    public string EventHubsBootstrap => $"localhost:{EventHubsPort}";

    /// <summary>The AppHost arguments of the mode, plus <paramref name="extra"/> (e.g. other connection strings).</summary>
    public IEnumerable<string> LocalArguments(params string[] extra) =>
    [
        "--Kafka:Mode=eventhubs-local",
        $"--Clickstream:Ports:EventHubs={EventHubsPort}",
        $"--Clickstream:Ports:EventHubsEmulator={EmulatorConventionPort}",
        $"--Clickstream:EventHubsIdleTimeout={IdleTimeout:c}",
        .. extra,
    ];

    protected override IEnumerable<string> ExtraArguments => LocalArguments();

    protected override IReadOnlyList<int> PickExtraPorts()
    {
        (EventHubsPort, EmulatorConventionPort) = (TestEnvironment.FreeTcpPort(), TestEnvironment.FreeTcpPort());
        return [EventHubsPort, EmulatorConventionPort];
    }

    public string Connection(string rule, string key) =>
        EventHubsDevelopmentRules.ConnectionString("localhost", EventHubsPort, rule, key, PipelineDefaults.Topic);

    /// <summary>kcat over SASL_SSL with the development (RootManageSharedAccessKey) connection string.</summary>
    internal Task<IReadOnlyList<Kcat.Message>> ReadTopicAsync() => Kcat.ReadAllAsync(EventHubsBootstrap, PipelineDefaults.Topic, TimeSpan.FromSeconds(60),
        Kcat.SaslSsl(Connection(EventHubsDevelopmentRules.RootName, EventHubsDevelopmentRules.RootKey), CaPath));

    /// <summary>The listener's counters (connections, refusals, idle cuts) from the emulator's <c>GET /eventhubs</c>.</summary>
    public async Task<JsonElement> ListenerAsync()
    {
        using var http = new HttpClient { BaseAddress = App.GetEndpoint("kafka", "http") };
        return await http.GetFromJsonAsync<JsonElement>("/eventhubs");
    }

    public async Task<long> ListenerCountAsync(string counter) => (await ListenerAsync()).GetProperty(counter).GetInt64();

    public async Task<string> HealthAsync(string resource)
    {
        using var http = new HttpClient { BaseAddress = App.GetEndpoint(resource, "http") };
        using var response = await http.GetAsync("/health");
        return await response.Content.ReadAsStringAsync();
    }

    public async Task HitAsync(string visitor, string param)
    {
        using var http = new HttpClient(new HttpClientHandler { UseCookies = false }) { BaseAddress = PixelUri };
        using var request = new HttpRequestMessage(HttpMethod.Get, $"/i?param={param}");
        request.Headers.Add("Cookie", $"uid={visitor}");
        using var response = await http.SendAsync(request);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
    }

    /// <summary>No captured log line of any resource holds a key; and there were lines to search.</summary>
    public void AssertNoKeyLogged()
    {
        var lines = Logs.ToList();
        Assert.Contains(lines, l => l.StartsWith("shipper: ", StringComparison.Ordinal));
        Assert.Contains(lines, l => l.StartsWith("kafka: ", StringComparison.Ordinal));
        foreach (var key in new[] { EventHubsDevelopmentRules.SendKey, EventHubsDevelopmentRules.ListenKey, EventHubsDevelopmentRules.RootKey, WrongKey })
        {
            // The line itself is not printed: it would put the key into the test output.
            var leaks = lines.Count(l => l.Contains(key, StringComparison.Ordinal));
            Assert.True(leaks == 0, $"{leaks} of {lines.Count} captured log lines contain a key");
        }
    }
}

public sealed class EventHubsLocalTests(EventHubsLocalFixture pipeline) : IClassFixture<EventHubsLocalFixture>
{
    private static readonly TimeSpan Bounded = TimeSpan.FromSeconds(60);

    [Fact]
    public async Task Every_hit_is_counted_exactly_once_and_kcat_reads_them_over_sasl_ssl_with_the_development_connection_string()
    {
        const int hits = 30;
        var visitors = Enumerable.Range(0, hits).Select(i => $"{i:x2}".PadLeft(32, 'e')).ToList();
        var before = await pipeline.TotalEventsAsync();
        foreach (var visitor in visitors)
        {
            await pipeline.HitAsync(visitor, "eventhubs-local");
        }

        var counted = await TestEnvironment.EventuallyAsync(async () => await pipeline.TotalEventsAsync() - before >= hits, Bounded);
        Assert.True(counted, $"the consumer counted {await pipeline.TotalEventsAsync() - before} of {hits} hits");
        var messages = await pipeline.ReadTopicAsync();
        Assert.Equal(hits, await pipeline.TotalEventsAsync() - before);
        var ours = messages.Where(m => visitors.Contains(m.Key)).ToList();
        Assert.Equal(visitors.Order(), ours.Select(m => m.Key).Order());
        Assert.All(ours, m => Assert.Contains(KafkaHeaders.EventId + "=", m.Headers));

        // The services went through the listener with their own rules, over TLS with the generated CA.
        var listener = await pipeline.ListenerAsync();
        Assert.Equal(pipeline.EventHubsPort, listener.GetProperty("port").GetInt32());
        Assert.Equal(pipeline.CaPath, listener.GetProperty("caPath").GetString());
        Assert.Equal(0, listener.GetProperty("authenticationFailures").GetInt64());
        Assert.Equal(0, listener.GetProperty("authorizationFailures").GetInt64());
        var logs = pipeline.Logs.ToList();
        Assert.Contains(logs, l => l.StartsWith("shipper: ", StringComparison.Ordinal)
            && l.Contains($"Event Hubs {pipeline.EventHubsBootstrap} (SAS connection string, rule {EventHubsDevelopmentRules.SendName})", StringComparison.Ordinal));
        Assert.Contains(logs, l => l.StartsWith("consumer: ", StringComparison.Ordinal)
            && l.Contains($"Event Hubs {pipeline.EventHubsBootstrap} (SAS connection string, rule {EventHubsDevelopmentRules.ListenName})", StringComparison.Ordinal));
        Assert.Contains(logs, l => l.StartsWith("kafka: ", StringComparison.Ordinal) && l.Contains($"ssl.ca.location: {pipeline.CaPath}", StringComparison.Ordinal));
        pipeline.AssertNoKeyLogged();
    }

    [Fact]
    public async Task A_slow_stream_crosses_idle_cuts_of_3_s_without_loss_or_duplicates()
    {
        const int hits = 5;
        var visitors = Enumerable.Range(0, hits).Select(i => $"{i:x2}".PadLeft(32, 'd')).ToList();
        var before = await pipeline.TotalEventsAsync();
        var cutsBefore = await pipeline.ListenerCountAsync("idleDisconnects");
        for (var i = 0; i < hits; i++)
        {
            await pipeline.HitAsync(visitors[i], "slow");
            var arrived = await TestEnvironment.EventuallyAsync(async () => await pipeline.TotalEventsAsync() - before >= i + 1, Bounded);
            Assert.True(arrived, $"hit {i} was not counted within {Bounded}");
            // The stream's pace: the next hit comes after the shipper's connection sat idle past the cut.
            await Task.Delay(EventHubsLocalFixture.IdleTimeout + TimeSpan.FromSeconds(1));
        }

        var cuts = await pipeline.ListenerCountAsync("idleDisconnects") - cutsBefore;
        Assert.True(cuts >= hits - 1, $"only {cuts} idle cuts while {hits} hits came {EventHubsLocalFixture.IdleTimeout} apart");
        Assert.Equal(hits, await pipeline.TotalEventsAsync() - before);
        var ours = (await pipeline.ReadTopicAsync()).Where(m => visitors.Contains(m.Key)).ToList();
        Assert.Equal(visitors, ours.Select(m => m.Key).Order());
        pipeline.AssertNoKeyLogged();
    }

    [Fact]
    public async Task A_line_over_the_event_hubs_request_limit_is_dead_lettered_and_its_neighbours_are_counted()
    {
        var before = await pipeline.TotalEventsAsync();
        var file = Path.Combine(pipeline.DataDirectory, "logs", "oversized.log");
        string Line(string cookie, string path) =>
            new AccessLogEntry("127.0.0.1", null, DateTimeOffset.UtcNow, "GET", path, 200, 43, null, "test", cookie, null).ToLine();
        var first = new string('f', 31) + "1";
        var last = new string('f', 31) + "2";
        var huge = Line(new string('f', 31) + "3", "/i?x=" + new string('x', 1_100_000));
        Assert.True(Encoding.UTF8.GetByteCount(huge) > 1_046_528);
        await File.WriteAllTextAsync(file, Line(first, "/i?n=1") + "\n" + huge + "\n" + Line(last, "/i?n=2") + "\n");

        var deadLetters = Path.Combine(pipeline.DataDirectory, "shipper", DeadLetterWriter.FileName);
        JsonElement? record = null;
        var deadLettered = await TestEnvironment.EventuallyAsync(() =>
        {
            if (!File.Exists(deadLetters))
            {
                return false;
            }

            using var stream = new FileStream(deadLetters, FileMode.Open, FileAccess.Read, FileShare.ReadWrite);
            using var reader = new StreamReader(stream);
            record = reader.ReadToEnd().Split('\n', StringSplitOptions.RemoveEmptyEntries)
                .Select(l => JsonDocument.Parse(l).RootElement.Clone())
                .Cast<JsonElement?>()
                .FirstOrDefault(r => r!.Value.GetProperty("file").GetString() == file);
            return record is not null;
        }, Bounded);
        Assert.True(deadLettered, "the oversized line was not dead-lettered");
        Assert.Equal("too_long", record!.Value.GetProperty("reason").GetString());
        Assert.Contains("exceeds Shipper:MaxLineBytes (1000000)", record.Value.GetProperty("detail").GetString());
        Assert.Equal(Encoding.UTF8.GetByteCount(Line(first, "/i?n=1")) + 1, record.Value.GetProperty("offset").GetInt64());

        var counted = await TestEnvironment.EventuallyAsync(async () => await pipeline.TotalEventsAsync() - before >= 2, Bounded);
        Assert.True(counted, $"the lines around the oversized one: {await pipeline.TotalEventsAsync() - before} of 2 counted");
        var ours = (await pipeline.ReadTopicAsync()).Where(m => m.Key.StartsWith(new string('f', 31), StringComparison.Ordinal)).ToList();
        Assert.Equal([first, last], ours.Select(m => m.Key).Order());
        // Never sent: the endpoint saw no request over its limit, so no connection was cut for it.
        Assert.Equal(0, await pipeline.ListenerCountAsync("oversizedRequests"));
        pipeline.AssertNoKeyLogged();
    }
}

/// <summary>Starts with wrong keys (its own AppHost: the test restarts it with other connection strings over the same data).</summary>
public sealed class EventHubsLocalWrongKeyFixture : EventHubsLocalFixture
{
    protected override IEnumerable<string> ExtraArguments => LocalArguments(
        $"--Parameters:eventhubs-send-connection={Connection(EventHubsDevelopmentRules.SendName, WrongKey)}",
        $"--Parameters:eventhubs-listen-connection={Connection(EventHubsDevelopmentRules.ListenName, WrongKey)}");

    protected override IEnumerable<string> HealthyAtStart => ["kafka", "pixel"];
}

/// <summary>
/// What a user meets with the wrong credentials: a wrong key, then a Listen rule for the shipper and a Send rule for
/// the consumer, then the right ones. The shipper keeps every line through both and delivers all of them once restarted
/// with the right key; no log line of any run shows a key.
/// </summary>
public sealed class EventHubsLocalWrongKeyTests(EventHubsLocalWrongKeyFixture pipeline) : IClassFixture<EventHubsLocalWrongKeyFixture>
{
    private static readonly TimeSpan Bounded = TimeSpan.FromSeconds(90);

    [Fact]
    public async Task Wrong_keys_and_wrong_rights_fail_clearly_keep_every_line_and_deliver_all_once_the_keys_are_right()
    {
        // 1. Wrong keys: both services say so in one line naming their rule, and report unhealthy.
        var visitors = Enumerable.Range(0, 20).Select(i => $"{i:x2}".PadLeft(32, 'c')).ToList();
        foreach (var visitor in visitors[..10])
        {
            await pipeline.HitAsync(visitor, "wrong-key");
        }

        foreach (var (service, rule) in new[] { ("shipper", EventHubsDevelopmentRules.SendName), ("consumer", EventHubsDevelopmentRules.ListenName) })
        {
            var said = await TestEnvironment.EventuallyAsync(() => pipeline.Logs.Any(l => l.StartsWith($"{service}: ", StringComparison.Ordinal)
                && l.Contains("Kafka authentication failed for Event Hubs", StringComparison.Ordinal)
                && l.Contains($"rule {rule})", StringComparison.Ordinal)
                && l.Contains($"does not match rule '{rule}'", StringComparison.Ordinal)), Bounded);
            Assert.True(said, $"the {service} did not log one authentication error line naming rule {rule}");
            Assert.True(await TestEnvironment.EventuallyAsync(async () => await pipeline.HealthAsync(service) == "Unhealthy", Bounded),
                $"the {service} stayed healthy with a wrong key");
        }

        Assert.True(await pipeline.ListenerCountAsync("authenticationFailures") > 0);

        // 2. The right keys, the wrong rights: the shipper holds a Listen rule, the consumer a Send rule.
        await pipeline.StartAsync(pipeline.LocalArguments(
            $"--Parameters:eventhubs-send-connection={pipeline.Connection(EventHubsDevelopmentRules.ListenName, EventHubsDevelopmentRules.ListenKey)}",
            $"--Parameters:eventhubs-listen-connection={pipeline.Connection(EventHubsDevelopmentRules.SendName, EventHubsDevelopmentRules.SendKey)}"),
            ["kafka", "pixel"]);
        foreach (var visitor in visitors[10..])
        {
            await pipeline.HitAsync(visitor, "wrong-rights");
        }

        Assert.True(await TestEnvironment.EventuallyAsync(async () => await pipeline.ListenerCountAsync("authorizationFailures") > 0, Bounded));
        Assert.True(await TestEnvironment.EventuallyAsync(() => pipeline.Logs.Any(l => l.StartsWith("shipper: ", StringComparison.Ordinal)
            && l.Contains("Topic authorization failed", StringComparison.OrdinalIgnoreCase)), Bounded), "the shipper did not say its rule may not send");
        Assert.True(await TestEnvironment.EventuallyAsync(() => pipeline.Logs.Any(l => l.StartsWith("consumer: ", StringComparison.Ordinal)
            && l.Contains("TopicAuthorizationFailed", StringComparison.Ordinal)), Bounded), "the consumer did not say its rule may not listen");
        Assert.True(await TestEnvironment.EventuallyAsync(async () => await pipeline.HealthAsync("consumer") == "Unhealthy", Bounded),
            "the consumer stayed healthy while its rule could not listen");
        // Nothing acknowledged while lines wait: unhealthy after Shipper:StalledAfter (30 s).
        Assert.True(await TestEnvironment.EventuallyAsync(async () => await pipeline.HealthAsync("shipper") == "Unhealthy", Bounded, TimeSpan.FromSeconds(1)),
            "the shipper stayed healthy while its rule could not send");

        // 3. The right connection strings (the mode's defaults): every line of both runs arrives, once.
        await pipeline.StartAsync(pipeline.LocalArguments(), ["kafka", "pixel", "shipper", "consumer"]);
        var counted = await TestEnvironment.EventuallyAsync(async () => await pipeline.TotalEventsAsync() >= visitors.Count, Bounded);
        Assert.True(counted, $"counted {await pipeline.TotalEventsAsync()} of {visitors.Count} hits kept through the failures");
        var messages = await pipeline.ReadTopicAsync();
        Assert.Equal(visitors.Count, await pipeline.TotalEventsAsync());
        Assert.Equal(visitors.Order(), messages.Where(m => visitors.Contains(m.Key)).Select(m => m.Key).Order());
        pipeline.AssertNoKeyLogged();
    }
}
