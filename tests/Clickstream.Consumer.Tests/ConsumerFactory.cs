using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Mvc.Testing;

namespace Clickstream.Consumer.Tests;

/// <summary>The consumer app in-process against a mock cluster; pixel and shipper are unreachable (reconciliation shows n/a).</summary>
internal sealed class ConsumerFactory(string bootstrapServers, IReadOnlyDictionary<string, string>? settings = null) : WebApplicationFactory<Program>
{
    protected override void ConfigureWebHost(IWebHostBuilder builder)
    {
        builder.UseSetting("ConnectionStrings:kafka", bootstrapServers);
        builder.UseSetting("Kafka:Consumer:Config:session.timeout.ms", "6000");
        builder.UseSetting("Reconciliation:PixelUrl", "http://127.0.0.1:9");
        builder.UseSetting("Reconciliation:ShipperUrl", "http://127.0.0.1:9");
        foreach (var (key, value) in settings ?? new Dictionary<string, string>())
        {
            builder.UseSetting(key, value);
        }
    }
}
