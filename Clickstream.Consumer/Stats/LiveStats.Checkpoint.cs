using Clickstream.Consumer.Checkpoints;

namespace Clickstream.Consumer.Stats;

/// <summary>
/// The aggregates as a checkpoint stores them. Not stored: the freshness samples and parsing caches (they
/// refill within a minute), so the figures a restart keeps are the counts, sets, sketches and buckets.
/// </summary>
public sealed partial class LiveStats
{
    internal void Save(CheckpointWriter writer)
    {
        lock (_gate)
        {
            writer.Write(_total);
            writer.Write(_bots);
            writer.Write(Interlocked.Read(ref _duplicates));
            writer.Write(Interlocked.Read(ref _malformed));
            writer.Write(Interlocked.Read(ref _lost));
            writer.WriteNullable(_lastEventAt);
            _visitors.Save(writer);
            _active.Save(writer);
            _perSecond.Save(writer);
            _perMinute.Save(writer);
            foreach (var top in Tops())
            {
                top.Save(writer);
            }
        }

        Sites.Save(writer);
    }

    internal void Load(CheckpointReader reader)
    {
        lock (_gate)
        {
            _total = reader.ReadInt64();
            _bots = reader.ReadInt64();
            _duplicates = reader.ReadInt64();
            _malformed = reader.ReadInt64();
            _lost = reader.ReadInt64();
            _lastEventAt = reader.ReadNullableTime();
            _visitors.Load(reader);
            _active.Load(reader);
            _perSecond.Load(reader);
            _perMinute.Load(reader);
            foreach (var top in Tops())
            {
                top.Load(reader);
            }
        }

        Sites.Load(reader);
    }

    private TopCounter[] Tops() => [_paths, _queryParameters, _referrers, _browsers, _systems, _devices, _codes];
}
