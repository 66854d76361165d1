namespace Clickstream.Contracts.Analytics;

/// <summary>What one event did to its visitor's session on its site.</summary>
/// <param name="Session">The session's id (the tracker's <c>sid</c> hashed with the site, else ours).</param>
/// <param name="NewSession">This event started the session.</param>
/// <param name="NewVisitor">The session is the visitor's first (<c>vid</c> = 1, or the visitor was not seen before).</param>
/// <param name="Entry">This page view is the session's first: its page is the entry page and its source the session's.</param>
/// <param name="SecondPageView">This page view is the session's second: the session is no longer a bounce.</param>
public readonly record struct SessionStep(ulong Session, bool NewSession, bool NewVisitor, bool Entry, bool SecondPageView);

/// <summary>
/// Sessions per visitor and site. The tracker's session id (<c>sid</c>) decides when present (Snowplow's
/// tracker keeps it in its own cookie, 30 minutes by default); else a session ends after
/// <see cref="Timeout"/> without an event from that visitor on that site. Time is the hit's own (a replay
/// sessionises as it happened), or the <see cref="TimeProvider"/>'s when a line has none; a session does
/// not end at midnight. Bounded by inactivity: a session idle for <see cref="Forget"/> (beyond the timeout, so a
/// tracker whose own session outlasts ours still continues it) is closed for good, checked once per timeout of
/// hit time, and only its visitor is remembered (8 bytes instead of the session's state), so that visitor's next
/// session counts as returning. Open sessions are then those of the last hours, whatever the history's length.
/// Beyond <c>maxTracked</c> open sessions, those idle past the timeout are closed first (looked for at most once per
/// <see cref="FullPruneInterval"/> of hit time: a scan costs one step per open session, and a stream of new visitors at
/// the bound would otherwise pay for one each); if none is, a new visitor's events each count as a session of their own. At most <c>maxTracked</c> visitors are remembered,
/// the longest gone forgotten first (their next session counts as a new visitor's). Not thread-safe.
/// </summary>
public sealed partial class SessionTracker(TimeProvider time, int maxTracked = 1_000_000)
{
    public static readonly TimeSpan Timeout = TimeSpan.FromMinutes(30);

    /// <summary>A session idle this long is closed and forgotten (its visitor is remembered as seen).</summary>
    public static readonly TimeSpan Forget = TimeSpan.FromHours(2);

    /// <summary>While the bound is reached, how often (in hit time) the open sessions are scanned for idle ones.</summary>
    public static readonly TimeSpan FullPruneInterval = TimeSpan.FromMinutes(1);

    private struct State
    {
        public long LastTicks;
        public ulong Session;
        public ulong TrackerSession;
        public int PageViews;
        public bool Returning;
    }

    private readonly Dictionary<ulong, State> _states = [];
    private readonly HashSet<ulong> _seen = [];
    private readonly Queue<ulong> _seenOrder = new();
    private ulong _nextSession;
    private long _nextPrune;
    private long _nextFullPrune;

    /// <summary>Open sessions.</summary>
    public int Tracked => _states.Count;

    /// <summary>Visitors (per site) whose sessions were closed, remembered as seen.</summary>
    public int Remembered => _seen.Count;

    /// <summary>Scans of every open session for idle ones so far (each costs one step per open session).</summary>
    public long Scans { get; private set; }

    /// <param name="site">The event's site.</param>
    /// <param name="visitor">The visitor's id (cookie hash or cookieless id).</param>
    /// <param name="e">The event (its type, <c>sid</c> and <c>vid</c>).</param>
    /// <param name="at">The hit's time, if the line had one.</param>
    public SessionStep Track(string site, ulong visitor, AnalyticsEvent e, DateTimeOffset? at)
    {
        var ticks = (at ?? time.GetUtcNow()).UtcTicks;
        var key = Mix(visitor, StableHash(site));
        var trackerSession = e.SessionId is { } sid ? Mix(StableHash(sid), StableHash(site)) | 1 : 0;
        var isPageView = e.Type is EventType.PageView or EventType.Hit;
        if (ticks >= _nextPrune)
        {
            _nextPrune = ticks + Timeout.Ticks;
            Prune(ticks, Forget);
        }

        var known = _states.TryGetValue(key, out var state);
        if (!known && _states.Count >= maxTracked && ticks >= _nextFullPrune)
        {
            _nextFullPrune = ticks + FullPruneInterval.Ticks;
            Prune(ticks, Timeout);
        }

        var newSession = !known
            || (trackerSession != 0 ? trackerSession != state.TrackerSession : ticks - state.LastTicks > Timeout.Ticks);
        if (newSession)
        {
            var returning = e.SessionIndex is { } vid ? vid > 1 : known || _seen.Contains(key);
            state = new State
            {
                Session = trackerSession != 0 ? trackerSession : Mix(++_nextSession, key) & ~1UL,
                TrackerSession = trackerSession,
                Returning = returning,
                LastTicks = ticks,
            };
        }

        state.LastTicks = Math.Max(state.LastTicks, ticks);
        var entry = false;
        var second = false;
        if (isPageView)
        {
            state.PageViews++;
            entry = state.PageViews == 1;
            second = state.PageViews == 2;
        }

        if (known || _states.Count < maxTracked)
        {
            _states[key] = state;
        }

        return new SessionStep(state.Session, newSession, newSession && !state.Returning, entry, second);
    }

    /// <summary>Closes the sessions idle longer than <paramref name="idle"/>, remembering their visitors.</summary>
    private void Prune(long nowTicks, TimeSpan idle)
    {
        Scans++;
        foreach (var (key, state) in _states)
        {
            if (nowTicks - state.LastTicks > idle.Ticks)
            {
                _states.Remove(key); // removing while enumerating a Dictionary is allowed since .NET Core 3.0
                Remember(key);
            }
        }
    }

    private void Remember(ulong key)
    {
        if (!_seen.Add(key))
        {
            return;
        }

        _seenOrder.Enqueue(key);
        if (_seen.Count > maxTracked)
        {
            _seen.Remove(_seenOrder.Dequeue());
        }
    }

    /// <summary>FNV-1a over the chars: stable across processes (string.GetHashCode is randomised), cheap for short ids.</summary>
    public static ulong StableHash(string value)
    {
        var hash = 14695981039346656037UL;
        foreach (var c in value)
        {
            hash = (hash ^ c) * 1099511628211UL;
        }

        return hash;
    }

    /// <summary>SplitMix64's finaliser over two values.</summary>
    public static ulong Mix(ulong a, ulong b)
    {
        var z = a + (b * 0x9E3779B97F4A7C15UL);
        z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9UL;
        z = (z ^ (z >> 27)) * 0x94D049BB133111EBUL;
        return z ^ (z >> 31);
    }
}
