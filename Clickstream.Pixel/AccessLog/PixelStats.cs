namespace Clickstream.Pixel.AccessLog;

/// <summary><c>GET /stats</c>: answered requests, lines that reached the file, lines lost (queue full or disk error).</summary>
public sealed record PixelStats(long HitsServed, long LinesWritten, long LinesDropped);
