using Clickstream.Consumer.Checkpoints;

namespace Clickstream.Consumer.Stats.Sites;

/// <summary>One site's figures as a checkpoint stores them (the caller holds the lock).</summary>
public sealed partial class SiteAggregate
{
    internal void Save(CheckpointWriter writer)
    {
        foreach (var value in Counters())
        {
            writer.Write(value);
        }

        History?.Save(writer);
        _visitors.Save(writer);
        _active.Save(writer);
        _pageviewsPerMinute.Save(writer);
        foreach (var top in Tops())
        {
            top.Save(writer);
        }

        writer.Write(_feedWritten);
        writer.Write(_feed.Length);
        foreach (var item in _feed)
        {
            writer.Write(item is not null);
            if (item is not null)
            {
                writer.Write(item.Time);
                writer.Write(item.Page);
                writer.WriteNullable(item.Title);
                writer.Write(item.Source);
                writer.Write(item.Device);
                writer.Write(item.Browser);
            }
        }
    }

    internal void Load(CheckpointReader reader)
    {
        (_events, _pageviews, _sessions, _entries, _nonBounced, _newVisitorSessions, _engagedMs, _bots) =
            (reader.ReadInt64(), reader.ReadInt64(), reader.ReadInt64(), reader.ReadInt64(),
             reader.ReadInt64(), reader.ReadInt64(), reader.ReadInt64(), reader.ReadInt64());
        if (History is not null)
        {
            History.Load(reader);
        }
        else if (reader.Version < 3)
        {
            new History.SiteHistory().Load(reader); // the all-sites view kept its own history before version 3: read past it
        }
        _visitors.Load(reader);
        _active.Load(reader);
        _pageviewsPerMinute.Load(reader);
        foreach (var top in Tops())
        {
            top.Load(reader);
        }

        _feedWritten = reader.ReadInt64();
        var saved = new PageViewItem?[reader.ReadInt32()];
        for (var i = 0; i < saved.Length; i++)
        {
            saved[i] = reader.ReadBoolean()
                ? new PageViewItem(reader.ReadTime(), reader.ReadString(), reader.ReadNullableString(), reader.ReadString(), reader.ReadString(), reader.ReadString())
                : null;
        }

        // Newest first into a ring of this build's size.
        Array.Clear(_feed);
        var kept = (int)Math.Min(Math.Min(_feedWritten, saved.Length), _feed.Length);
        for (var i = 1; i <= kept; i++)
        {
            _feed[(_feedWritten - i) % _feed.Length] = saved[(_feedWritten - i) % saved.Length];
        }
    }

    private long[] Counters() => [_events, _pageviews, _sessions, _entries, _nonBounced, _newVisitorSessions, _engagedMs, _bots];

    private TopCounter[] Tops() => [_pages, _entryPages, _sources, _campaigns, _channels, _browsers, _systems, _devices, _customEvents];
}
