namespace Clickstream.Consumer.Checkpoints;

/// <summary>
/// Where checkpoints live: a flat set of named blobs. <see cref="Write"/> is atomic, a name is visible
/// complete or not at all, so a crash mid-write leaves the previous checkpoints untouched.
/// </summary>
public interface ICheckpointStore
{
    /// <summary>For logs: the directory or container, never a secret.</summary>
    string Location { get; }

    IReadOnlyList<string> List();

    /// <summary>Null when the name is gone.</summary>
    byte[]? Read(string name);

    void Write(string name, ReadOnlyMemory<byte> data);

    void Delete(string name);
}
