using System.Globalization;
using System.Text.Json;
using System.Text.Json.Serialization;
using Clickstream.Contracts;
using Clickstream.ServiceDefaults.Files;

namespace Clickstream.Shipper.Checkpoints;

/// <summary>One file's saved position.</summary>
public sealed record Checkpoint(ulong Device, ulong Inode, long Generation, long Offset, string Path);

/// <summary>The checkpoint file: its format version and the positions.</summary>
public sealed record CheckpointFile(int Version, List<Checkpoint> Files);

/// <summary>
/// What start-up found: the saved positions, or none and where the unreadable file was moved, and why.
/// </summary>
public sealed record CheckpointLoad(IReadOnlyDictionary<FileIdentity, Checkpoint> Checkpoints, string? SetAsidePath, string? Problem)
{
    public bool WasUnreadable => Problem is not null;
}

/// <summary>
/// Saves positions keyed by device+inode, atomically (<see cref="AtomicFile"/>: write a temporary file, fsync it, rename
/// it over the old one), so a kill at any instant leaves either the old or the new checkpoints, never half.
/// </summary>
public sealed class CheckpointStore(string directory)
{
    /// <summary>The format written; a file without a version (a bare array) is the format before it.</summary>
    public const int CurrentVersion = 1;

    private const string FileName = "checkpoints.json";

    public string FilePath { get; } = System.IO.Path.Combine(directory, FileName);

    /// <summary>The saved positions; throws <see cref="InvalidDataException"/> when the file cannot be understood.</summary>
    public IReadOnlyDictionary<FileIdentity, Checkpoint> Load()
    {
        if (!File.Exists(FilePath))
        {
            return new Dictionary<FileIdentity, Checkpoint>();
        }

        return Parse(File.ReadAllBytes(FilePath)).ToDictionary(c => new FileIdentity(c.Device, c.Inode));
    }

    /// <summary>
    /// The saved positions, or, when the file is corrupt or unreadable, none: the file is moved aside to
    /// <c>checkpoints.json.corrupt-&lt;time&gt;</c> (kept for a look) so start-up goes on and every file is read from
    /// its start. Reading again only duplicates lines, which the event id tells apart downstream; failing to start
    /// would stop shipping altogether.
    /// </summary>
    public CheckpointLoad LoadOrSetAside(TimeProvider time)
    {
        try
        {
            return new CheckpointLoad(Load(), null, null);
        }
        catch (Exception ex) when (ex is InvalidDataException or IOException or UnauthorizedAccessException)
        {
            var aside = FilePath + ".corrupt-" + time.GetUtcNow().ToString("yyyyMMdd'T'HHmmssfff'Z'", CultureInfo.InvariantCulture);
            try
            {
                File.Move(FilePath, aside, overwrite: true);
            }
            catch (Exception moveFailed) when (moveFailed is IOException or UnauthorizedAccessException)
            {
                // The next save replaces it anyway; reading from the start must not wait for the move.
                aside = null;
            }

            return new CheckpointLoad(new Dictionary<FileIdentity, Checkpoint>(), aside, ex.Message);
        }
    }

    public void Save(IEnumerable<Checkpoint> checkpoints)
    {
        Directory.CreateDirectory(directory);
        var file = new CheckpointFile(CurrentVersion, checkpoints.ToList());
        AtomicFile.Write(FilePath, stream => JsonSerializer.Serialize(stream, file, CheckpointJson.Default.CheckpointFile));
    }

    private static List<Checkpoint> Parse(byte[] bytes)
    {
        List<Checkpoint>? files;
        try
        {
            var text = bytes.AsSpan().TrimStart(" \t\r\n"u8);
            if (text.Length > 0 && text[0] == (byte)'[')
            {
                // Written before the file had a version.
                files = JsonSerializer.Deserialize(text, CheckpointJson.Default.ListCheckpoint);
            }
            else
            {
                var file = JsonSerializer.Deserialize(text, CheckpointJson.Default.CheckpointFile) ?? throw Invalid("null");
                if (file.Version is < 1 or > CurrentVersion)
                {
                    throw Invalid($"version {file.Version} (this shipper reads 1 to {CurrentVersion})");
                }

                files = file.Files;
            }
        }
        catch (JsonException ex)
        {
            throw Invalid(ex.Message);
        }

        if (files is null || files.Any(c => c is null || c.Path is null || c.Offset < 0 || c.Generation < 0))
        {
            throw Invalid("missing or negative fields");
        }

        return files;
    }

    private static InvalidDataException Invalid(string reason) => new($"checkpoints.json is not a checkpoint file: {reason}");
}

[JsonSerializable(typeof(CheckpointFile))]
[JsonSerializable(typeof(List<Checkpoint>))]
[JsonSourceGenerationOptions(WriteIndented = true, PropertyNamingPolicy = JsonKnownNamingPolicy.CamelCase)]
internal sealed partial class CheckpointJson : JsonSerializerContext;
