using System.Text;

namespace Clickstream.Contracts.Tests;

public sealed class EventIdsTests
{
    [Theory]
    [InlineData("2049:131", 0, 0L)]
    [InlineData("2049:131", 3, 1_234_567_890_123L)]
    public void An_id_names_its_file_generation_and_offset_and_gives_the_offset_back(string file, long generation, long offset)
    {
        var id = Encoding.ASCII.GetString(EventIds.For(file, generation, offset));

        Assert.Equal($"{file}:{generation}:{offset}", id);
        Assert.Equal(offset, EventIds.Offset(id));
        Assert.Equal(EventIds.For(EventIds.Prefix(file, generation), offset), EventIds.For(file, generation, offset));
    }

    [Theory]
    [InlineData("")]
    [InlineData("no-colon")]
    [InlineData("2049:131:0:")]
    [InlineData("2049:131:0:-5")]
    [InlineData("2049:131:0:12x")]
    public void An_id_that_is_not_ours_has_no_offset(string id) => Assert.Null(EventIds.Offset(id));
}
