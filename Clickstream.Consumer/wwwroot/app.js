// Polls the stats API every second; no framework, no CDN: the page works offline.
const fmt = new Intl.NumberFormat();
const el = id => document.getElementById(id);

function render(s) {
  el('total').textContent = fmt.format(s.totalEvents);
  el('rate').textContent = s.eventsPerSecond.toFixed(1);
  el('visitors').textContent = fmt.format(s.uniqueVisitors);
  el('duplicates').textContent = fmt.format(s.duplicatesDropped);
  el('malformed').textContent = fmt.format(s.malformedSkipped);
  el('lost').textContent = fmt.format(s.lostToOffsetResets);
  const rows = s.topPaths.map(p => {
    const tr = document.createElement('tr');
    const path = document.createElement('td');
    path.textContent = p.key;
    const count = document.createElement('td');
    count.className = 'num';
    count.textContent = fmt.format(p.count);
    tr.append(path, count);
    return tr;
  });
  el('paths').replaceChildren(...rows);
}

async function tick() {
  try {
    const response = await fetch('api/stats', { cache: 'no-store' });
    render(await response.json());
    el('live').classList.remove('stale');
  } catch {
    el('live').classList.add('stale');
  }
}

tick();
setInterval(tick, 1000);
