using System.Diagnostics;
using System.Text;

namespace Clickstream.Tests;

/// <summary>
/// kcat, an independent Kafka client (librdkafka's own CLI), used to check what is really on a topic.
/// The test command installs it; a missing kcat fails the test with that sentence, it does not skip.
/// </summary>
internal static class Kcat
{
    public sealed record Message(string Key, int Partition, long Offset, string Headers, string Value);

    /// <summary>
    /// Reads every message on <paramref name="topic"/> from the start to the current end; <paramref name="options"/> are
    /// extra kcat arguments, such as <see cref="SaslSsl"/>.
    /// </summary>
    public static async Task<IReadOnlyList<Message>> ReadAllAsync(string bootstrap, string topic, TimeSpan timeout, IEnumerable<string>? options = null)
    {
        // One record per message, fields split by a unit separator, records by a record separator.
        var format = "%k\u001f%p\u001f%o\u001f%h\u001f%s\u001e";
        var output = await RunAsync(["-b", bootstrap, .. options ?? [], "-C", "-t", topic, "-o", "beginning", "-e", "-q", "-f", format], null, timeout);
        return output.Split('\u001e', StringSplitOptions.RemoveEmptyEntries)
            .Select(r => r.TrimStart('\n').Split('\u001f'))
            .Where(f => f.Length == 5)
            .Select(f => new Message(f[0], int.Parse(f[1]), long.Parse(f[2]), f[3], f[4]))
            .ToList();
    }

    /// <summary>Produces each line as one message (<c>kcat -P -l</c> semantics via stdin).</summary>
    public static Task ProduceAsync(string bootstrap, string topic, IEnumerable<string> lines, TimeSpan timeout) =>
        RunAsync(["-b", bootstrap, "-P", "-t", topic], string.Join('\n', lines) + "\n", timeout);

    /// <summary>What Event Hubs' Kafka endpoint asks of a client: SASL_SSL PLAIN, user <c>$ConnectionString</c>, the connection string as password.</summary>
    public static string[] SaslSsl(string connectionString, string caPath) =>
    [
        "-X", "security.protocol=SASL_SSL", "-X", "sasl.mechanisms=PLAIN", "-X", "sasl.username=$ConnectionString",
        "-X", $"sasl.password={connectionString}", "-X", $"ssl.ca.location={caPath}",
    ];

    public static async Task<string> RunAsync(string[] arguments, string? input, TimeSpan timeout)
    {
        var start = new ProcessStartInfo("kcat")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = input is not null,
            StandardOutputEncoding = Encoding.UTF8,
        };
        foreach (var argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }

        Process process;
        try
        {
            process = Process.Start(start)!;
        }
        catch (System.ComponentModel.Win32Exception ex)
        {
            throw new InvalidOperationException("kcat is not installed: run the README's test command (./test.sh), which installs it.", ex);
        }

        using (process)
        {
            if (input is not null)
            {
                await process.StandardInput.WriteAsync(input);
                process.StandardInput.Close();
            }

            var stdout = process.StandardOutput.ReadToEndAsync();
            var stderr = process.StandardError.ReadToEndAsync();
            using var cts = new CancellationTokenSource(timeout);
            try
            {
                await process.WaitForExitAsync(cts.Token);
            }
            catch (OperationCanceledException)
            {
                process.Kill(entireProcessTree: true);
                throw new TimeoutException($"kcat {string.Join(' ', arguments.Select(Redact))} did not finish within {timeout}: {await stderr}");
            }

            if (process.ExitCode != 0)
            {
                throw new InvalidOperationException($"kcat exited with {process.ExitCode}: {await stderr}");
            }

            return await stdout;
        }
    }

    /// <summary>A SASL password (an Event Hubs connection string with its key) never reaches test output.</summary>
    private static string Redact(string argument) =>
        argument.StartsWith("sasl.password=", StringComparison.Ordinal) ? "sasl.password=(redacted)" : argument;
}
