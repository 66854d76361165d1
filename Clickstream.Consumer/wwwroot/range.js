// The range view: the chosen site's history over a range (GET /api/stats?site=&range=), refreshed every
// 5 seconds. Uses app.js's helpers (el, setText, table, chart, fmt); the range lives in the address (?range=).
(() => {
  const params = new URLSearchParams(location.search);
  const picker = el('range');
  if (params.get('range')) picker.value = params.get('range');
  const when = new Intl.DateTimeFormat(undefined, { dateStyle: 'short', timeStyle: 'short' });
  const unit = { realtime: 'minute', today: 'hour', yesterday: 'hour', '7d': 'day', '30d': 'day' };

  function render(doc) {
    const r = doc.range;
    if (!r) return;
    const f = r.figures;
    setText('r-pageviews', fmt.format(f.pageviews));
    setText('r-visitors', fmt.format(f.visitors));
    setText('r-visitors-error', `±${(100 * f.visitorsStandardError).toFixed(1)}%`);
    setText('r-sessions', fmt.format(f.sessions));
    setText('r-bounce', `${Math.round(100 * f.bounceRate)}%`);
    setText('r-note', `${r.timeZone}${f.approximate ? ' · edges approximate' : ''}`);
    setText('r-caption', `Page views per ${unit[r.name] ?? 'slot'}`);
    setText('r-from', when.format(new Date(r.from)));
    setText('r-to', when.format(new Date(r.to)));
    chart('chart-range', r.series.map(p => p.pageviews), 'max-range', 'page views');
    table('r-pages', f.topPages, f.pageviews);
    table('r-sources', f.topSources);
    table('r-campaigns', f.topCampaigns);
  }

  async function refresh() {
    const site = el('site').value;
    const query = new URLSearchParams({ range: picker.value });
    if (site) query.set('site', site);
    try {
      const response = await fetch(`api/stats?${query}`, { cache: 'no-store' });
      if (response.ok) render(await response.json());
    } catch { /* the live indicator shows the connection */ }
  }

  picker.addEventListener('change', () => {
    const query = new URLSearchParams(location.search);
    query.set('range', picker.value);
    history.replaceState(null, '', `${location.pathname}?${query}`);
    refresh();
  });
  // app.js rewrites the address to ?site= on a site change: put the range back, then refresh.
  el('site').addEventListener('change', () => setTimeout(() => {
    const query = new URLSearchParams(location.search);
    query.set('range', picker.value);
    history.replaceState(null, '', `${location.pathname}?${query}`);
    refresh();
  }, 0));
  refresh();
  setInterval(refresh, 5000);
})();
