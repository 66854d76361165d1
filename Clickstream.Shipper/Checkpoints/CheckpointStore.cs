using System.Text.Json;
using System.Text.Json.Serialization;
using Clickstream.Contracts;

namespace Clickstream.Shipper.Checkpoints;

/// <summary>One file's saved position.</summary>
public sealed record Checkpoint(ulong Device, ulong Inode, long Generation, long Offset, string Path);

/// <summary>
/// Saves positions keyed by device+inode, atomically: write a temporary file, fsync it, rename it over
/// the old one, so a kill at any instant leaves either the old or the new checkpoints, never half.
/// </summary>
public sealed class CheckpointStore(string directory)
{
    private const string FileName = "checkpoints.json";

    public string FilePath { get; } = System.IO.Path.Combine(directory, FileName);

    public IReadOnlyDictionary<FileIdentity, Checkpoint> Load()
    {
        if (!File.Exists(FilePath))
        {
            return new Dictionary<FileIdentity, Checkpoint>();
        }

        var saved = JsonSerializer.Deserialize(File.ReadAllBytes(FilePath), CheckpointJson.Default.ListCheckpoint) ?? [];
        return saved.ToDictionary(c => new FileIdentity(c.Device, c.Inode));
    }

    public void Save(IEnumerable<Checkpoint> checkpoints)
    {
        Directory.CreateDirectory(directory);
        var temporary = FilePath + ".tmp";
        using (var file = new FileStream(temporary, FileMode.Create, FileAccess.Write, FileShare.None))
        {
            JsonSerializer.Serialize(file, checkpoints.ToList(), CheckpointJson.Default.ListCheckpoint);
            file.Flush(flushToDisk: true);
        }

        File.Move(temporary, FilePath, overwrite: true);
    }
}

[JsonSerializable(typeof(List<Checkpoint>))]
[JsonSourceGenerationOptions(WriteIndented = true, PropertyNamingPolicy = JsonKnownNamingPolicy.CamelCase)]
internal sealed partial class CheckpointJson : JsonSerializerContext;
