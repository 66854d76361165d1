// The live page: one snapshot a second from server-sent events (/api/stream), our own SVG charts,
// no framework and no CDN, so it works offline. Falls back to polling /api/stats if SSE is unavailable.
const fmt = new Intl.NumberFormat();
const el = id => document.getElementById(id);
const SVG = 'http://www.w3.org/2000/svg';
let lastUpdate = 0;

function setText(id, text) {
  const node = el(id);
  if (node.textContent !== text) node.textContent = text;
}

function ms(v) {
  if (v === null || v === undefined) return '–';
  return v < 1000 ? `${Math.round(v)} ms` : `${(v / 1000).toFixed(1)} s`;
}

function table(id, rows, total) {
  const trs = rows.map(r => {
    const tr = document.createElement('tr');
    const key = document.createElement('td');
    key.textContent = r.key;
    const count = document.createElement('td');
    count.className = 'num';
    count.textContent = total ? `${fmt.format(r.count)} · ${Math.round(100 * r.count / total)}%` : fmt.format(r.count);
    tr.append(key, count);
    return tr;
  });
  el(id).replaceChildren(...trs);
}

function chart(id, values, maxId, unit) {
  const svg = el(id);
  const max = Math.max(1, ...values);
  const w = 600 / values.length;
  const bars = values.map((v, i) => {
    const r = document.createElementNS(SVG, 'rect');
    const h = 118 * v / max;
    r.setAttribute('x', (i * w).toFixed(2));
    r.setAttribute('width', Math.max(w - (w > 4 ? 1 : 0), 0.5).toFixed(2));
    r.setAttribute('y', (120 - h).toFixed(2));
    r.setAttribute('height', h.toFixed(2));
    const t = document.createElementNS(SVG, 'title');
    t.textContent = `${fmt.format(v)} ${unit}`;
    r.append(t);
    return r;
  });
  svg.replaceChildren(...bars);
  setText(maxId, `max ${fmt.format(Math.max(0, ...values))} ${unit}`);
}

// The analytics view of one site (or all): every value from the web (pages, titles, sources) as text only.
function renderSite(s) {
  setText('a-current', fmt.format(s.currentVisitors));
  setText('a-visitors30', fmt.format(s.visitors30Minutes));
  setText('a-pageviews30', fmt.format(s.pageviews30Minutes));
  setText('a-pageviews', fmt.format(s.pageviews));
  setText('a-sessions', fmt.format(s.sessions));
  setText('a-new', `${fmt.format(s.newVisitorSessions)} by new visitors`);
  setText('a-bounce', `${Math.round(100 * s.bounceRate)}%`);
  setText('a-engaged', s.engagedSecondsPerSession === null ? '–' : `${s.engagedSecondsPerSession.toFixed(1)} s`);
  setText('a-bots', fmt.format(s.botEvents));
  chart('chart-pageviews', s.pageviewsPerMinute, 'max-pageviews', 'views/min');
  table('a-pages', s.topPages, s.pageviews);
  table('a-entry', s.topEntryPages);
  table('a-sources', s.topSources);
  table('a-campaigns', s.topCampaigns);
  table('a-channels', s.channels);
  table('a-events', s.customEvents);
  table('a-browsers', s.sessionBrowsers);
  table('a-systems', s.sessionOperatingSystems);
  table('a-devices', s.sessionDevices);
  el('a-feed').replaceChildren(...s.latestPageViews.map(v => {
    const tr = document.createElement('tr');
    for (const text of [new Date(v.time).toLocaleTimeString(), v.page, v.title, v.source, `${v.device} · ${v.browser}`]) {
      const td = document.createElement('td');
      td.textContent = text ?? '–';
      td.title = text ?? '';
      tr.append(td);
    }
    return tr;
  }));
}

function renderSites(sites) {
  const select = el('site');
  const all = document.createElement('option');
  all.value = '';
  all.textContent = `All sites (${fmt.format(sites.length)})`;
  const options = sites.map(s => {
    const o = document.createElement('option');
    o.value = s.site;
    o.textContent = `${s.site} · ${fmt.format(s.currentVisitors)} now`;
    return o;
  });
  // A chosen site not counted yet stays selectable.
  if (site && !sites.some(s => s.site === site)) {
    const o = document.createElement('option');
    o.value = site;
    o.textContent = `${site} · no hits yet`;
    options.push(o);
  }
  const texts = [all, ...options].map(o => `${o.value}\u0000${o.textContent}`).join('\n');
  if (select.dataset.texts !== texts) {
    select.replaceChildren(all, ...options);
    select.value = site;
    select.dataset.texts = texts;
  }
}

function renderStats(s) {
  if ((s.site ?? '') === site) renderSite(s);
  setText('total', fmt.format(s.totalEvents));
  setText('rate', s.eventsPerSecond.toFixed(1));
  setText('visitors', (s.uniqueVisitorsExact ? '' : '≈') + fmt.format(s.uniqueVisitors));
  setText('visitors-error', s.uniqueVisitorsExact ? 'exact' : `HyperLogLog, ±${(100 * s.uniqueVisitorsStandardError).toFixed(2)}% (1σ)`);
  setText('now-hits', fmt.format(s.now.hits));
  setText('now-visitors', fmt.format(s.now.visitors));
  setText('last30-hits', fmt.format(s.last30Minutes.hits));
  setText('last30-visitors', fmt.format(s.last30Minutes.visitors));
  setText('freshness', `${ms(s.freshnessP50Ms)} / ${ms(s.freshnessP99Ms)}`);
  setText('bots', `${(100 * s.botShare).toFixed(1)}%`);
  setText('duplicates', fmt.format(s.duplicatesDropped));
  setText('malformed', fmt.format(s.malformedSkipped));
  setText('lost', fmt.format(s.lostToOffsetResets));
  // The last bucket is the second (minute) still filling.
  chart('chart-seconds', s.perSecond, 'max-seconds', 'hits/s');
  chart('chart-minutes', s.perMinute.slice(-30), 'max-minutes', 'hits/min');
  table('top-paths', s.topPaths);
  table('top-params', s.topQueryParameters);
  table('top-referrers', s.topReferrerDomains);
  table('browsers', s.browsers, s.totalEvents);
  table('systems', s.operatingSystems, s.totalEvents);
  table('devices', s.devices, s.totalEvents);
  table('codes', s.statusCodes, s.totalEvents);
  lastUpdate = Date.now();
  setLive();
}

function renderReconciliation(r) {
  const items = [];
  r.stages.forEach((stage, i) => {
    if (i > 0) {
      const g = r.gaps[i - 1];
      const arrow = document.createElement('li');
      arrow.className = 'arrow' + (g.ok ? '' : ' bad');
      arrow.textContent = g.gap === null ? '→' : g.gap === 0 ? '→' : `→ ${g.gap > 0 ? '−' : '+'}${fmt.format(Math.abs(g.gap))}`;
      if (g.reason) arrow.title = g.reason;
      items.push(arrow);
    }
    const li = document.createElement('li');
    li.id = `stage-${stage.name}`;
    const n = document.createElement('span');
    n.className = 'n';
    n.textContent = stage.count === null ? 'n/a' : fmt.format(stage.count);
    const label = document.createElement('span');
    label.className = 'label';
    label.textContent = stage.name;
    li.append(n, label);
    items.push(li);
  });
  el('stages').replaceChildren(...items);
  el('reconciliation').classList.toggle('bad', !r.ok);
  const reasons = r.gaps.filter(g => g.reason).map(g => g.reason);
  const extra = [`in flight ${r.inFlight ?? 'n/a'}`, `dropped by pixel ${r.linesDropped ?? 'n/a'}`,
    `dead-lettered ${r.deadLettered ?? 'n/a'}`, `duplicates dropped ${fmt.format(r.duplicatesDropped)}`];
  setText('reconciliation-note', [...reasons, extra.join(' · ')].join(' — '));
}

function renderRecent(events) {
  const rows = events.map(e => {
    const tr = document.createElement('tr');
    const time = e.time ? new Date(e.time).toLocaleTimeString() : '–';
    for (const text of [time, e.path, e.code, e.remote, e.agent]) {
      const td = document.createElement('td');
      td.textContent = text ?? '–';
      td.title = text ?? '';
      tr.append(td);
    }
    return tr;
  });
  el('recent').replaceChildren(...rows);
}

function setLive() {
  const fresh = Date.now() - lastUpdate < 3000;
  el('live').classList.toggle('stale', !fresh);
  setText('live-text', fresh ? 'live' : lastUpdate ? 'reconnecting' : 'connecting');
}

async function poll(url, render) {
  try {
    const response = await fetch(url, { cache: 'no-store' });
    if (response.ok) render(await response.json());
  } catch { /* shown by the live indicator */ }
}

// The chosen site lives in the address (?site=), so a view can be bookmarked and shared.
let site = new URLSearchParams(location.search).get('site') ?? '';
let stream = null;
const query = () => site ? `?site=${encodeURIComponent(site)}` : '';

function connect() {
  if (stream) stream.close();
  stream = new EventSource(`api/stream${query()}`);
  stream.addEventListener('stats', e => renderStats(JSON.parse(e.data)));
  stream.addEventListener('sites', e => renderSites(JSON.parse(e.data)));
  stream.addEventListener('reconciliation', e => renderReconciliation(JSON.parse(e.data)));
}

el('site').addEventListener('change', () => {
  site = el('site').value;
  history.replaceState(null, '', `${location.pathname}${query()}`);
  connect();
});

if ('EventSource' in window) {
  connect();
} else {
  setInterval(() => {
    poll(`api/stats${query()}`, renderStats);
    poll('api/sites', renderSites);
    poll('api/reconciliation', renderReconciliation);
  }, 1000);
}
setInterval(setLive, 1000);
poll('api/events/recent?n=20', renderRecent);
setInterval(() => poll('api/events/recent?n=20', renderRecent), 2000);
