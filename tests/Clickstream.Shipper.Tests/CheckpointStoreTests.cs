using Clickstream.Contracts;
using Clickstream.Shipper.Checkpoints;
using Clickstream.Tests;
using Microsoft.Extensions.Time.Testing;

namespace Clickstream.Shipper.Tests;

/// <summary>The checkpoint file's format: versioned, the unversioned format still read, anything else set aside.</summary>
public sealed class CheckpointStoreTests : IDisposable
{
    private readonly TempDirectory _dir = TestEnvironment.CreateTempDirectory("clickstream-checkpoints");

    [Fact]
    public void Saved_checkpoints_load_back_and_the_file_says_its_version()
    {
        var store = new CheckpointStore(_dir.Path);
        store.Save([new Checkpoint(7, 42, 1, 1234, "/logs/access.log")]);

        var loaded = Assert.Single(store.Load());
        Assert.Equal(new FileIdentity(7, 42), loaded.Key);
        Assert.Equal(new Checkpoint(7, 42, 1, 1234, "/logs/access.log"), loaded.Value);
        Assert.Contains($"\"version\": {CheckpointStore.CurrentVersion}", File.ReadAllText(store.FilePath));
    }

    [Fact]
    public void The_unversioned_format_written_before_is_still_read()
    {
        var store = new CheckpointStore(_dir.Path);
        File.WriteAllText(store.FilePath, """[{"device":7,"inode":42,"generation":0,"offset":99,"path":"/logs/a.log"}]""");

        var loaded = store.LoadOrSetAside(TimeProvider.System);
        Assert.False(loaded.WasUnreadable);
        Assert.Equal(99, Assert.Single(loaded.Checkpoints).Value.Offset);
    }

    [Theory]
    [InlineData("not json at all")]
    [InlineData("")]
    [InlineData("""{"version":99,"files":[]}""")]
    [InlineData("""{"files":[]}""")]
    [InlineData("""{"version":1,"files":[null]}""")]
    [InlineData("""{"version":1,"files":[{"device":7,"inode":42,"generation":0,"offset":-5,"path":"/a"}]}""")]
    public void A_file_that_cannot_be_understood_is_moved_aside_with_its_time_and_nothing_is_resumed(string content)
    {
        var store = new CheckpointStore(_dir.Path);
        File.WriteAllText(store.FilePath, content);
        var time = new FakeTimeProvider(new DateTimeOffset(2026, 12, 6, 23, 10, 5, 123, TimeSpan.Zero));

        Assert.Throws<InvalidDataException>(() => store.Load());
        var loaded = store.LoadOrSetAside(time);

        Assert.True(loaded.WasUnreadable);
        Assert.Empty(loaded.Checkpoints);
        Assert.Equal(store.FilePath + ".corrupt-20261206T231005123Z", loaded.SetAsidePath);
        Assert.False(File.Exists(store.FilePath));
        Assert.Equal(content, File.ReadAllText(loaded.SetAsidePath!));
    }

    public void Dispose() => _dir.Dispose();
}
