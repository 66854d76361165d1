namespace Clickstream.Consumer.Lake;

/// <summary>
/// Where the lake's files live: names relative to its root, <c>/</c>-separated (<c>site=…/date=…/hour=…/events-….parquet</c>,
/// <c>_staging/…</c>). <see cref="Write"/> publishes a file whole or not at all: a writer that fails or a process
/// killed midway leaves nothing visible under the name, so a reader never sees a partial file.
/// </summary>
public interface ILakeStore
{
    /// <summary>For logs: the directory or container, never a secret.</summary>
    string Location { get; }

    /// <summary>The complete files whose names start with <paramref name="prefix"/>.</summary>
    IReadOnlyList<string> List(string prefix);

    /// <summary>Null when the name is gone.</summary>
    byte[]? Read(string name);

    bool Exists(string name);

    /// <summary>
    /// Writes <paramref name="name"/>: <paramref name="write"/> fills a stream that is staged out of sight (a temporary
    /// file, fsynced; uncommitted blocks); <paramref name="beforePublish"/> runs once it is staged, and then the file is
    /// published in one step (a rename; one block-list commit), replacing any file of that name.
    /// </summary>
    void Write(string name, Action<Stream> write, Action? beforePublish = null);

    void Delete(string name);
}
