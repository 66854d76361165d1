using System.Diagnostics;
using System.Net;
using System.Text;
using Clickstream.Contracts;

namespace Clickstream.Contracts.Tests;

public sealed class WireFormatTests
{
    [Fact]
    public void A_traceparent_written_from_a_span_reads_back_as_that_span_and_matches_dotnets_own_text()
    {
        var traceId = ActivityTraceId.CreateRandom();
        var spanId = ActivitySpanId.CreateRandom();
        var bytes = TraceParent.Format(traceId, spanId, ActivityTraceFlags.Recorded);

        Assert.Equal($"00-{traceId.ToHexString()}-{spanId.ToHexString()}-01", Encoding.ASCII.GetString(bytes));
        Assert.True(TraceParent.TryParse(bytes, out var context));
        Assert.Equal(traceId, context.TraceId);
        Assert.Equal(spanId, context.SpanId);
        Assert.Equal(ActivityTraceFlags.Recorded, context.TraceFlags);
        Assert.True(context.IsRemote);
        Assert.True(ActivityContext.TryParse(Encoding.ASCII.GetString(bytes), null, isRemote: true, out var dotnet));
        Assert.Equal(dotnet, context);
    }

    [Theory]
    [InlineData("")]
    [InlineData("01-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01")]
    [InlineData("00-0AF7651916CD43DD8448EB211C80319C-b7ad6b7169203331-01")]
    [InlineData("00-00000000000000000000000000000000-b7ad6b7169203331-01")]
    [InlineData("00-0af7651916cd43dd8448eb211c80319c-0000000000000000-01")]
    [InlineData("00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01-extra")]
    public void A_malformed_traceparent_is_no_parent(string value)
    {
        Assert.False(TraceParent.TryParse(Encoding.ASCII.GetBytes(value), out var context));
        Assert.Equal(default, context);
    }

    [Theory]
    [InlineData("203.0.113.77", "203.0.113.0")]
    [InlineData("::ffff:203.0.113.77", "203.0.113.0")]
    [InlineData("2001:db8:aa:bb::1", "2001:db8:aa::")]
    public void Addresses_are_cut_to_their_24_or_48(string address, string expected)
    {
        Assert.Equal(expected, ClientAddresses.Truncate(IPAddress.Parse(address)).ToString());
    }
}
