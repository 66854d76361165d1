using Microsoft.Extensions.Configuration;

namespace Clickstream.Shipper.Tests;

/// <summary>The delivery options under their names, and under the old names existing configurations use.</summary>
public sealed class ShipperOptionsTests
{
    [Theory]
    [InlineData("DeadLetterAfterFailedDeliveries", "RedeliveryBackoff", "MaxRedeliveryBackoff")]
    [InlineData("MaxDeliveryAttempts", "RetryBackoff", "MaxRetryBackoff")]
    public void The_delivery_options_bind_under_their_names_and_their_old_names(string attempts, string backoff, string maxBackoff)
    {
        var config = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?>
        {
            [$"Shipper:{attempts}"] = "3",
            [$"Shipper:{backoff}"] = "00:00:00.250",
            [$"Shipper:{maxBackoff}"] = "00:00:07",
        }).Build();

        var options = config.GetSection(ShipperOptions.SectionName).Get<ShipperOptions>()!;

        Assert.Equal(3, options.DeadLetterAfterFailedDeliveries);
        Assert.Equal(TimeSpan.FromMilliseconds(250), options.RedeliveryBackoff);
        Assert.Equal(TimeSpan.FromSeconds(7), options.MaxRedeliveryBackoff);
    }
}
