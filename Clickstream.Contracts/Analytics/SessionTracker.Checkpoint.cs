namespace Clickstream.Contracts.Analytics;

/// <summary>
/// The open sessions as a checkpoint stores them, so a restarted consumer continues them instead of starting new
/// ones, then the visitors remembered as seen (oldest first), which the layout before them did not have.
/// </summary>
public sealed partial class SessionTracker
{
    public void Save(BinaryWriter writer)
    {
        writer.Write(_nextSession);
        writer.Write(_states.Count);
        foreach (var (key, state) in _states)
        {
            writer.Write(key);
            writer.Write(state.LastTicks);
            writer.Write(state.Session);
            writer.Write(state.TrackerSession);
            writer.Write(state.PageViews);
            writer.Write(state.Returning);
        }

        writer.Write(_nextPrune); // so a restored tracker closes idle sessions at the same moments as the one it continues
        writer.Write(_seenOrder.Count);
        foreach (var key in _seenOrder)
        {
            writer.Write(key);
        }
    }

    /// <param name="withSeen">The layout has the visitors remembered as seen (false: the older one without them).</param>
    public void Load(BinaryReader reader, bool withSeen = true)
    {
        _states.Clear();
        _seen.Clear();
        _seenOrder.Clear();
        _nextPrune = 0;
        _nextSession = reader.ReadUInt64();
        var n = reader.ReadInt32();
        for (var i = 0; i < n; i++)
        {
            _states[reader.ReadUInt64()] = new State
            {
                LastTicks = reader.ReadInt64(),
                Session = reader.ReadUInt64(),
                TrackerSession = reader.ReadUInt64(),
                PageViews = reader.ReadInt32(),
                Returning = reader.ReadBoolean(),
            };
        }

        _nextPrune = withSeen ? reader.ReadInt64() : 0;
        var seen = withSeen ? reader.ReadInt32() : 0;
        for (var i = 0; i < seen; i++)
        {
            Remember(reader.ReadUInt64());
        }
    }
}
