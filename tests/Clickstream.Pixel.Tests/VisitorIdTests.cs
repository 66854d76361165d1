using Clickstream.Pixel.Hits;

namespace Clickstream.Pixel.Tests;

public sealed class VisitorIdTests
{
    [Fact]
    public void New_ids_are_32_lowercase_hex_digits_and_distinct()
    {
        var ids = Enumerable.Range(0, 1000).Select(_ => VisitorId.New()).ToList();
        Assert.All(ids, id => Assert.True(VisitorId.IsValid(id), id));
        Assert.Equal(ids.Count, ids.Distinct().Count());
    }

    [Theory]
    [InlineData("0123456789abcdef0123456789abcdef", true)]
    [InlineData("0123456789ABCDEF0123456789ABCDEF", false)]
    [InlineData("0123456789abcdef0123456789abcde", false)]
    [InlineData("0123456789abcdef0123456789abcdefa", false)]
    [InlineData("0123456789abcdef0123456789abcdeg", false)]
    [InlineData("", false)]
    public void Only_ids_we_could_have_issued_are_valid(string id, bool valid) => Assert.Equal(valid, VisitorId.IsValid(id));
}
