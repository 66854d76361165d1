using System.Text;
using Clickstream.Contracts;
using Clickstream.Shipper.Tailing;

namespace Clickstream.Shipper.Tests;

public sealed class LineInspectorTests
{
    private const string Seed = """{"remote":"172.21.0.1","host":"-","user":"-","time":"2020-11-16T08:31:47+00:00","method":"GET","path":"/i?param=testing","code":"200","size":"43","referer":"-","agent":"curl/7.58.0","cookie":"3dfd6da7ee3f1d1f5f9700cc248f62bf"}""";

    [Fact]
    public void A_seed_line_is_valid_and_keyed_by_its_cookie()
    {
        var result = LineInspector.Inspect(Encoding.UTF8.GetBytes(Seed));
        Assert.Equal(LineVerdict.Valid, result.Verdict);
        Assert.Equal(Seed, Encoding.UTF8.GetString(result.Value!));
        Assert.Equal("3dfd6da7ee3f1d1f5f9700cc248f62bf", Encoding.UTF8.GetString(result.Key!));
    }

    [Fact]
    public void A_trailing_carriage_return_is_dropped()
    {
        var result = LineInspector.Inspect(Encoding.UTF8.GetBytes(Seed + "\r"));
        Assert.Equal(LineVerdict.Valid, result.Verdict);
        Assert.Equal(Seed, Encoding.UTF8.GetString(result.Value!));
    }

    [Fact]
    public void A_dash_cookie_means_no_key()
    {
        var result = LineInspector.Inspect(Encoding.UTF8.GetBytes(Seed.Replace("3dfd6da7ee3f1d1f5f9700cc248f62bf", "-")));
        Assert.Equal(LineVerdict.Valid, result.Verdict);
        Assert.Null(result.Key);
    }

    [Fact]
    public void Invalid_utf8_inside_a_value_is_repaired_not_dead_lettered()
    {
        var bytes = Encoding.UTF8.GetBytes(Seed.Replace("\"referer\":\"-\"", "\"referer\":\"X\""));
        bytes[Array.IndexOf(bytes, (byte)'X')] = 0xff;

        var result = LineInspector.Inspect(bytes);

        Assert.Equal(LineVerdict.Repaired, result.Verdict);
        Assert.Contains("\"referer\":\"\uFFFD\"", Encoding.UTF8.GetString(result.Value!));
        Assert.Equal("3dfd6da7ee3f1d1f5f9700cc248f62bf", Encoding.UTF8.GetString(result.Key!));
    }

    [Theory]
    [InlineData("")]
    [InlineData("   ")]
    [InlineData("\r")]
    public void Blank_lines_are_empty(string line) =>
        Assert.Equal(LineVerdict.Empty, LineInspector.Inspect(Encoding.UTF8.GetBytes(line)).Verdict);

    [Theory]
    [InlineData("""{"remote":"1.2.3.4","cookie":"abc""")]
    [InlineData("""not json at all""")]
    [InlineData("""["an","array"]""")]
    [InlineData("""{"a":"1"}{"b":"2"}""")]
    [InlineData("""{"a":"1",}""")]
    [InlineData("{\"a\":\"\0\"}")]
    [InlineData("\"just a string\"")]
    public void Anything_but_one_json_object_is_invalid_with_a_reason(string line)
    {
        var result = LineInspector.Inspect(Encoding.UTF8.GetBytes(line));
        Assert.Equal(LineVerdict.Invalid, result.Verdict);
        Assert.False(string.IsNullOrWhiteSpace(result.Reason));
        Assert.Null(result.Value);
    }

    [Fact]
    public void A_valid_traceparent_field_is_found_and_a_malformed_one_ignored()
    {
        const string tp = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01";
        var traced = LineInspector.Inspect(Encoding.UTF8.GetBytes(Seed.TrimEnd('}') + $",\"traceparent\":\"{tp}\"}}"));
        Assert.Equal(LineVerdict.Valid, traced.Verdict);
        Assert.Equal(tp, Encoding.ASCII.GetString(traced.TraceParent!));
        Assert.Null(LineInspector.Inspect(Encoding.UTF8.GetBytes(Seed)).TraceParent);
    }

    [Theory]
    [InlineData("00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01", true)]
    [InlineData("00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-00", true)]
    [InlineData("00-00000000000000000000000000000000-00f067aa0ba902b7-01", false)]
    [InlineData("00-4bf92f3577b34da6a3ce929d0e0e4736-0000000000000000-01", false)]
    [InlineData("00-4BF92F3577B34DA6A3CE929D0E0E4736-00f067aa0ba902b7-01", false)]
    [InlineData("01-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01", false)]
    [InlineData("00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7", false)]
    [InlineData("-", false)]
    public void Traceparent_validation_follows_w3c_version_00(string value, bool valid) =>
        Assert.Equal(valid, TraceParent.IsValid(Encoding.ASCII.GetBytes(value)));
}
