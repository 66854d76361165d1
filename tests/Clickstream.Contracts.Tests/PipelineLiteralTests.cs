using System.Text;
using System.Text.Json;
using System.Text.RegularExpressions;

namespace Clickstream.Contracts.Tests;

/// <summary>
/// One contract, one spelling: the topic and group defaults, the Kafka header names and the access-log line are
/// written in Clickstream.Contracts, and everything else (code, tests, deploy templates, scripts) takes them from
/// there. These tests walk the repository so the rule stays true, and hold the few copies that cannot reference the
/// library (a shell file, Bicep defaults) equal to it.
/// </summary>
public sealed partial class PipelineLiteralTests
{
    private static readonly string Root = FindRoot();

    /// <summary>Where the values may be spelled out: the contracts and their tests, and the prose that explains them.</summary>
    private static readonly string[] Allowed =
    [
        "Clickstream.Contracts/", "tests/Clickstream.Contracts.Tests/", "docs/", "README.md",
        // Sourced by bench/*.sh, which cannot reference C#; Bench_defaults_are_the_contracts_values holds it equal.
        "bench/pipeline-defaults.sh",
        // Parameter defaults; DeploymentTests holds them equal to PipelineDefaults, and the templates read the outputs.
        "infra/main.bicep",
    ];

    /// <summary>Spelled like the topic, but something else.</summary>
    private static readonly string[] NotTheTopic =
    [
        "azure.yaml", // the azd project's name
        "Clickstream.ServiceDefaults/Kafka/EntraTokenSource.cs", // the principal label librdkafka attaches to the token
    ];

    /// <summary>
    /// Test inputs whose exact bytes are the point may be written by hand: the seed's own line, and broken or unusual
    /// lines for the parsers. Everything else, tests and benchmarks included, writes its lines through
    /// <see cref="AccessLogEntry.ToLine"/>, the nginx template or <c>bench/pipeline-defaults.sh</c>'s sample line.
    /// </summary>
    private static readonly string[] SampleLinesAllowed =
    [
        "tests/Clickstream.Shipper.Tests/LineInspectorTests.cs",
        "tests/Clickstream.Shipper.Tests/ShipperCorpusTests.cs",
        "tests/Clickstream.Consumer.Tests/ConsumingTests.cs",
        "tests/Clickstream.Consumer.Tests/AggregateTests.cs",
    ];

    private static readonly string[] SkippedDirectories = [".git", "bin", "obj", "node_modules", ".data", "out", "TestResults", ".vs", ".idea"];

    [Fact]
    public void No_file_outside_the_contracts_spells_the_topic_the_group_or_a_header_name()
    {
        var found = new List<string>();
        foreach (var (path, lines) in TextFiles().Where(f => !IsAllowed(f.Path)))
        {
            for (var i = 0; i < lines.Length; i++)
            {
                var line = lines[i];
                if (line.Contains(PipelineDefaults.ConsumerGroup, StringComparison.Ordinal)
                    || (TopicWord().IsMatch(line) && !NotTheTopic.Contains(path))
                    || HeaderName().IsMatch(line))
                {
                    found.Add($"{path}:{i + 1}: {line.Trim()}");
                }
            }
        }

        Assert.True(found.Count == 0, "Use PipelineDefaults / KafkaHeaders (or bench/pipeline-defaults.sh) instead of:\n" + string.Join('\n', found));
    }

    [Fact]
    public void No_code_outside_the_contracts_writes_an_access_log_line_by_hand()
    {
        var writers = TextFiles()
            .Where(f => !IsAllowed(f.Path) && !SampleLinesAllowed.Any(a => f.Path.StartsWith(a, StringComparison.Ordinal)))
            .SelectMany(f => f.Lines.Select((line, i) => (f.Path, Number: i + 1, Line: line)))
            .Where(l => IsHandWrittenLine(l.Line))
            .Select(l => $"{l.Path}:{l.Number}: {l.Line.Trim()}");

        Assert.Empty(writers);
    }

    [Fact]
    public void The_scan_finds_what_it_looks_for()
    {
        Assert.Matches(TopicWord(), $"kcat -t {PipelineDefaults.Topic} -C");
        Assert.Matches(TopicWord(), $"Kafka__Topic={PipelineDefaults.Topic}");
        Assert.DoesNotMatch(TopicWord(), $"/var/{PipelineDefaults.Topic}/logs");
        Assert.DoesNotMatch(TopicWord(), $"{PipelineDefaults.Topic}-checkpoints");
        Assert.Matches(HeaderName(), $"new Header(\"{KafkaHeaders.EventId}\", bytes)");
        Assert.True(IsHandWrittenLine("{\"remote\":\"1.2.3.4\",\"host\":\"-\",\"user\":\"-\"}"));
        Assert.True(IsHandWrittenLine("{\\\"remote\\\":\\\"1.2.3.4\\\",\\\"host\\\":\\\"-\\\",\\\"time\\\":\\\"x\\\"}"));
        Assert.False(IsHandWrittenLine("{\"path\":\"/a\",\"offset\":1}"));
    }

    [Fact]
    public void Bench_defaults_are_the_contracts_values()
    {
        var values = File.ReadAllLines(Path.Combine(Root, "bench", "pipeline-defaults.sh"))
            .Select(l => ShellAssignment().Match(l)).Where(m => m.Success)
            .ToDictionary(m => m.Groups["name"].Value, m => m.Groups["quoted"].Success ? m.Groups["quoted"].Value : m.Groups["bare"].Value);

        Assert.Equal(PipelineDefaults.Topic, values["topic"]);
        Assert.Equal(PipelineDefaults.ConsumerGroup, values["consumer_group"]);
        Assert.Equal(KafkaHeaders.EventId, values["event_id_header"]);
        Assert.Equal(KafkaHeaders.TraceParent, values["traceparent_header"]);
        using var line = JsonDocument.Parse(values["sample_line"]);
        var names = line.RootElement.EnumerateObject().Select(p => p.Name).ToList();
        Assert.Equal(AccessLogFields.All.Take(names.Count), names);
        Assert.Equal(AccessLogFields.Cookie, names[^1]);
    }

    [Fact]
    public void No_two_paths_differ_only_in_case()
    {
        var paths = AllPaths().GroupBy(p => p, StringComparer.OrdinalIgnoreCase).Where(g => g.Count() > 1).Select(g => string.Join(" = ", g));

        Assert.Empty(paths);
    }

    private static bool IsAllowed(string path) => Allowed.Any(a => a.EndsWith('/') ? path.StartsWith(a, StringComparison.Ordinal) : path == a);

    /// <summary>Three or more of the line's field names as JSON keys on one line (plain, backslash- or doubled-quote escaped).</summary>
    private static bool IsHandWrittenLine(string line) =>
        FieldKey().Matches(line).Select(m => m.Groups["name"].Value).Where(AccessLogFields.All.Contains).Distinct().Count() >= 3;

    private static IEnumerable<(string Path, string[] Lines)> TextFiles()
    {
        foreach (var path in AllPaths())
        {
            var full = Path.Combine(Root, path);
            if (!File.Exists(full) || new FileInfo(full).Length > 4 * 1024 * 1024)
            {
                continue;
            }

            var bytes = File.ReadAllBytes(full);
            if (Array.IndexOf(bytes, (byte)0) >= 0)
            {
                continue; // binary
            }

            yield return (path, Encoding.UTF8.GetString(bytes).Split('\n'));
        }
    }

    /// <summary>Every file and directory below the root, '/'-separated and relative, without build output and tools' caches.</summary>
    private static IEnumerable<string> AllPaths()
    {
        var pending = new Stack<string>([Root]);
        while (pending.Count > 0)
        {
            foreach (var entry in Directory.EnumerateFileSystemEntries(pending.Pop()))
            {
                var name = Path.GetFileName(entry);
                var relative = Path.GetRelativePath(Root, entry).Replace(Path.DirectorySeparatorChar, '/');
                if (Directory.Exists(entry))
                {
                    if (SkippedDirectories.Contains(name) || File.Exists(Path.Combine(entry, ".git")))
                    {
                        continue; // build output, caches, and other worktrees
                    }

                    pending.Push(entry);
                }

                yield return relative;
            }
        }
    }

    private static string FindRoot()
    {
        var directory = new DirectoryInfo(AppContext.BaseDirectory);
        while (directory is not null && !File.Exists(Path.Combine(directory.FullName, "Clickstream.sln")))
        {
            directory = directory.Parent;
        }

        return directory?.FullName ?? throw new InvalidOperationException("Clickstream.sln not found above the test binaries.");
    }

    /// <summary>The topic's name as a word of its own: not inside a path, a longer name or an identifier.</summary>
    private static Regex TopicWord() => TopicWordRegex;

    private static readonly Regex TopicWordRegex = new($@"(?<![\w./$-]){Regex.Escape(PipelineDefaults.Topic)}(?![\w./(-])", RegexOptions.CultureInvariant);

    /// <summary>A header name in quotes, not as a JSON key (the line's <c>traceparent</c> field is checked apart).</summary>
    private static Regex HeaderName() => HeaderNameRegex;

    private static readonly Regex HeaderNameRegex =
        new($@"[""'](?:{Regex.Escape(KafkaHeaders.EventId)}|{Regex.Escape(KafkaHeaders.TraceParent)})[""'](?!\s*:)", RegexOptions.CultureInvariant);

    [GeneratedRegex(@"(?:\\?""|"""")(?<name>[a-z]+)(?:\\?""|"""")\s*:")]
    private static partial Regex FieldKey();

    [GeneratedRegex(@"^(?<name>[a-z_]+)=(?:'(?<quoted>[^']*)'|(?<bare>\S*))\s*$")]
    private static partial Regex ShellAssignment();
}
