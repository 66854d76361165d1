namespace Clickstream.Consumer.Stats.History;

/// <summary>Which time zone says when a site's "today" begins (<c>Ranges:TimeZones:SITE</c>, IANA ids).</summary>
public sealed class RangeOptions
{
    public const string SectionName = "Ranges";

    public string DefaultTimeZone { get; set; } = "UTC";

    public Dictionary<string, string> TimeZones { get; set; } = new(StringComparer.Ordinal);

    public TimeZoneInfo ZoneOf(string? site) =>
        TimeZoneInfo.FindSystemTimeZoneById(site is not null && TimeZones.TryGetValue(site, out var zone) ? zone : DefaultTimeZone);

    /// <summary>Every configured zone is known on this machine (checked at start-up).</summary>
    public bool ZonesExist() => TimeZones.Values.Append(DefaultTimeZone).All(z => TimeZoneInfo.TryFindSystemTimeZoneById(z, out _));
}
