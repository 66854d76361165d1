using Clickstream.Shipper.Buffering;
using Clickstream.Shipper.DeadLetters;

namespace Clickstream.Shipper.Tailing;

/// <summary>
/// What every <see cref="FileTail"/> shares: the options, the buffer it hands its lines to (on to the sink), the
/// dead-letter file for the lines it cannot send, the metrics, the clock and the log.
/// </summary>
public sealed record TailContext(
    ShipperOptions Options, LineBuffer Buffer, DeadLetterWriter DeadLetters, ShipperMetrics Metrics, TimeProvider Time, ILogger<FileTail> Logger);
