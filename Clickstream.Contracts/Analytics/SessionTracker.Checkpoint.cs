namespace Clickstream.Contracts.Analytics;

/// <summary>The open sessions as a checkpoint stores them, so a restarted consumer continues them instead of starting new ones.</summary>
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
    }

    public void Load(BinaryReader reader)
    {
        _states.Clear();
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
    }
}
