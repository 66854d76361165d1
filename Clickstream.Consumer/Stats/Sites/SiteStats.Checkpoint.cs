using Clickstream.Consumer.Checkpoints;

namespace Clickstream.Consumer.Stats.Sites;

/// <summary>
/// The sites as a checkpoint stores them, with what decides how the next event counts: open sessions and
/// the tracker event ids already counted. Not stored: the cookieless visitor ids' day keys, which by design
/// live only in memory (a cookieless visitor seen before and after a restart on the same day counts twice).
/// </summary>
public sealed partial class SiteStats
{
    internal void Save(CheckpointWriter writer)
    {
        lock (_gate)
        {
            writer.Write(_duplicateEventIds);
            writer.Write(_problems.Count);
            foreach (var (reason, count) in _problems)
            {
                writer.Write(reason);
                writer.Write(count);
            }

            _sessions.Save(writer);
            _eventIds.Save(writer);
            _all.Save(writer);
            writer.Write(_sites.Count);
            foreach (var (name, site) in _sites)
            {
                writer.Write(name);
                site.Save(writer);
            }
        }
    }

    internal void Load(CheckpointReader reader)
    {
        lock (_gate)
        {
            _duplicateEventIds = reader.ReadInt64();
            _problems.Clear();
            var problems = reader.ReadInt32();
            for (var i = 0; i < problems; i++)
            {
                _problems[reader.ReadString()] = reader.ReadInt64();
            }

            _sessions.Load(reader, withSeen: reader.Version >= 3);
            _eventIds.Load(reader);
            _all.Load(reader);
            _sites.Clear();
            var sites = reader.ReadInt32();
            for (var i = 0; i < sites; i++)
            {
                var site = new SiteAggregate(reader.ReadString());
                site.Load(reader);
                _sites[site.Site!] = site;
            }
        }
    }
}
