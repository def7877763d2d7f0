// The live view's page: polls <base>/data every sampling interval, draws the charts with uPlot and
// fills the tables. Everything is built with DOM calls and textContent; nothing from the data is parsed
// as HTML.
(() => {
  const base = document.body.dataset.base || '';
  const COLORS = ['#2b6cb0', '#2f855a', '#6b46c1', '#b7791f', '#2c7a7b', '#4a5568', '#97266d'];
  const BAD_COLORS = ['#c53030', '#dd6b20', '#9b2c2c', '#ed64a6'];
  const LEVEL_COLORS = { warning: '#d69e2e', critical: '#e53e3e' };
  const charts = {};
  let since = 0;
  let windowSeconds = 3600;
  let timer;
  let failures = 0;

  const $ = (id) => document.getElementById(id);
  const el = (tag, attrs, text) => {
    const e = document.createElement(tag);
    if (attrs) for (const k of Object.keys(attrs)) e.setAttribute(k, attrs[k]);
    if (text !== undefined) e.textContent = text;
    return e;
  };

  const num = (v, digits) =>
    v === null || v === undefined || Number.isNaN(v)
      ? '–'
      : v.toLocaleString('en', { maximumFractionDigits: digits === undefined ? 2 : digits });
  const ms = (s) => (s === null || s === undefined ? '–' : `${num(s * 1000, s < 0.01 ? 1 : 0)} ms`);
  const pct = (r) => (r === null || r === undefined ? '–' : `${num(r * 100, r < 0.01 && r > 0 ? 2 : 1)} %`);
  const mb = (b) => `${num(b / 1048576, 1)} MB`;
  const ago = (unixSeconds, now) => {
    if (!unixSeconds) return 'never';
    const s = Math.max(0, Math.round(now / 1000 - unixSeconds));
    return s < 120
      ? `${s} s ago`
      : s < 7200
        ? `${Math.round(s / 60)} min ago`
        : `${Math.round(s / 3600)} h ago`;
  };

  // --- tables -----------------------------------------------------------------------------------
  // columns: [{ label, num?, value(row) -> [text, raw?] | text }]
  function fillTable(table, columns, rows, options) {
    const opts = options || {};
    table.textContent = '';
    if (opts.caption) table.appendChild(el('caption', null, opts.caption));
    const head = el('thead');
    const tr = el('tr');
    for (const c of columns)
      tr.appendChild(el('th', c.num ? { class: 'num', scope: 'col' } : { scope: 'col' }, c.label));
    head.appendChild(tr);
    table.appendChild(head);
    const body = el('tbody');
    if (rows.length === 0) {
      const empty = el('tr');
      empty.appendChild(
        el('td', { colspan: String(columns.length), class: 'empty' }, opts.empty || 'Nothing yet.'),
      );
      body.appendChild(empty);
    }
    for (const row of rows) {
      const r = el('tr');
      const cls = opts.rowClass ? opts.rowClass(row) : '';
      if (cls) r.className = cls;
      if (opts.key) r.dataset.key = opts.key(row);
      for (const c of columns) {
        const out = c.value(row);
        const text = Array.isArray(out) ? out[0] : out;
        const td = el('td', c.num ? { class: 'num' } : null, text);
        if (c.id) td.dataset.col = c.id;
        if (Array.isArray(out) && out[1] !== undefined && out[1] !== null) td.dataset.value = String(out[1]);
        if (c.badge) {
          const b = c.badge(row);
          if (b) td.appendChild(el('span', { class: `level ${b}` }, b));
        }
        r.appendChild(td);
      }
      body.appendChild(r);
    }
    table.appendChild(body);
  }

  function kpis(container, items) {
    container.textContent = '';
    for (const it of items) {
      const d = el('div', { class: it.bad ? 'kpi bad' : 'kpi' });
      if (it.id) d.dataset.kpi = it.id;
      const v = el('span', { class: 'v' }, it.value);
      if (it.raw !== undefined && it.raw !== null) v.dataset.value = String(it.raw);
      d.appendChild(v);
      d.appendChild(el('span', { class: 'k' }, it.label));
      container.appendChild(d);
    }
  }

  // --- charts -----------------------------------------------------------------------------------
  function chartKey(def) {
    return def.series.map((s) => s.col).join('|');
  }

  function ensureChart(def) {
    let c = charts[def.id];
    if (c && c.key === chartKey(def)) return c;
    if (c) {
      c.plot.destroy();
      c.figure.remove();
    }
    const container = document.querySelector(`[data-charts~="${def.id}"]`);
    const figure = el('figure', { id: `chart-${def.id}`, class: 'chart-figure' });
    figure.appendChild(el('figcaption', { id: `chart-${def.id}-title` }, `${def.title} (${def.unit})`));
    const target = el('div', { class: 'chart', role: 'img', 'aria-labelledby': `chart-${def.id}-title` });
    figure.appendChild(target);
    const details = el('details');
    details.appendChild(el('summary', null, 'Numbers'));
    const scroll = el('div', { class: 'scroll' });
    const table = el('table', { class: 'data' });
    scroll.appendChild(table);
    details.appendChild(scroll);
    details.addEventListener('toggle', () => renderChartTable(c));
    figure.appendChild(details);
    // Keep the page's order: charts appear in the order their ids are listed.
    const order = container.dataset.charts.split(' ');
    const after = [...container.children].find((f) => order.indexOf(f.id.slice(6)) > order.indexOf(def.id));
    container.insertBefore(figure, after || null);

    const lines = def.lines || [];
    const series = [{}];
    let good = 0;
    let bad = 0;
    for (const s of def.series) {
      const stroke = s.bad ? BAD_COLORS[bad++ % BAD_COLORS.length] : COLORS[good++ % COLORS.length];
      series.push({ label: s.label, stroke, width: 2, spanGaps: false });
    }
    for (const l of lines)
      series.push({
        label: l.label,
        stroke: LEVEL_COLORS[l.level],
        width: 1,
        dash: [6, 4],
        points: { show: false },
      });
    const width = Math.max(300, target.clientWidth || container.clientWidth / 2 - 20);
    const plot = new window.uPlot(
      {
        width,
        height: 200,
        series,
        scales: {
          x: { time: true },
          y: {
            range: (_u, _min, max) => [
              0,
              Math.max(max || 0, lines.length ? lines[lines.length - 1].value * 1.1 : 1),
            ],
          },
        },
        axes: [{}, { size: 60, values: (_u, vals) => vals.map((v) => num(v)) }],
        legend: { live: true },
        cursor: { drag: { x: false, y: false } },
      },
      [[], ...series.slice(1).map(() => [])],
      target,
    );
    c = { def, key: chartKey(def), plot, figure, target, details, table, t: [], cols: {} };
    for (const s of def.series) c.cols[s.col] = [];
    charts[def.id] = c;
    return c;
  }

  function renderChartTable(c) {
    if (!c?.details.open) return;
    const cols = [{ label: 'time', value: (i) => new Date(c.t[i] * 1000).toLocaleTimeString() }];
    for (const s of c.def.series)
      cols.push({ label: s.label, num: true, value: (i) => num(c.cols[s.col][i]) });
    const idx = c.t.map((_t, i) => i).reverse();
    fillTable(c.table, cols, idx, { caption: `${c.def.title}, newest first (${c.def.unit})` });
  }

  function updateChart(def, points, cutoff) {
    const c = ensureChart(def);
    for (let i = 0; i < points.t.length; i++) {
      c.t.push(points.t[i]);
      for (const s of def.series) c.cols[s.col].push((points.cols[s.col] || [])[i] ?? null);
    }
    let drop = 0;
    while (drop < c.t.length && c.t[drop] < cutoff) drop++;
    if (drop > 0) {
      c.t.splice(0, drop);
      for (const s of def.series) c.cols[s.col].splice(0, drop);
    }
    const lines = (def.lines || []).map((l) => c.t.map(() => l.value));
    c.plot.setData([c.t, ...def.series.map((s) => c.cols[s.col]), ...lines]);
    renderChartTable(c);
  }

  // --- panels -----------------------------------------------------------------------------------
  function render(d) {
    windowSeconds = d.windowSeconds;
    const cutoff = d.generatedAt / 1000 - windowSeconds;
    let rebuilt = false;
    for (const def of d.charts) {
      const existing = charts[def.id];
      if (existing && existing.key !== chartKey(def) && since > 0) rebuilt = true;
    }
    if (rebuilt) {
      // A new series appeared (a queue, a webhook outcome): fetch the whole history again.
      since = 0;
      for (const id of Object.keys(charts)) {
        charts[id].plot.destroy();
        charts[id].figure.remove();
        delete charts[id];
      }
      return refresh();
    }
    for (const def of d.charts) updateChart(def, d.points, cutoff);
    if (d.points.lastSampleAt) since = d.points.lastSampleAt;

    const win = `${Math.round(d.routeWindowSeconds / 60)} min`;
    const totalRequests = d.routes.reduce((a, r) => a + r.requests, 0);
    const rate = d.routes.reduce((a, r) => a + r.rate, 0);
    const worst = d.routes.find((r) => r.level !== 'ok');
    kpis($('request-kpis'), [
      { id: 'requests', label: 'requests since start', value: num(totalRequests, 0), raw: totalRequests },
      { id: 'rate', label: `req/s (last ${win})`, value: num(rate) },
      {
        id: 'slow-routes',
        label: 'routes over the p95 SLA',
        value: num(d.routes.filter((r) => r.level !== 'ok').length, 0),
        bad: Boolean(worst),
      },
    ]);
    $('routes-note').textContent =
      `(rate, errors and quantiles over the last ${win}; p95 over ${ms(d.thresholds.warning)} warns, over ${ms(d.thresholds.critical)} is critical)`;
    fillTable(
      $('routes-table'),
      [
        {
          id: 'route',
          label: 'Route',
          value: (r) => r.route,
          badge: (r) => (r.level === 'ok' ? '' : r.level),
        },
        { id: 'requests', label: 'Requests', num: true, value: (r) => [num(r.requests, 0), r.requests] },
        { id: 'rate', label: 'req/s', num: true, value: (r) => [num(r.rate, 3), r.rate] },
        { id: 'errors', label: '5xx', num: true, value: (r) => [pct(r.errorShare), r.errorShare] },
        {
          id: 'client',
          label: '4xx',
          num: true,
          value: (r) => [pct(r.clientErrorShare), r.clientErrorShare],
        },
        { id: 'p50', label: 'p50', num: true, value: (r) => [ms(r.p50), r.p50] },
        { id: 'p95', label: 'p95', num: true, value: (r) => [ms(r.p95), r.p95] },
        { id: 'p99', label: 'p99', num: true, value: (r) => [ms(r.p99), r.p99] },
      ],
      d.routes,
      {
        key: (r) => r.route,
        rowClass: (r) => (r.level === 'ok' ? '' : r.level),
        empty: 'No requests recorded yet.',
      },
    );

    const b = d.business;
    const sum = (rows, k) => rows.reduce((a, r) => a + r[k], 0);
    const badHooks = b.webhooks.filter((w) => w.level === 'bad');
    kpis($('business-kpis'), [
      { id: 'tenants', label: 'active tenants', value: num(b.activeTenants, 0), raw: b.activeTenants },
      { id: 'bookings-today', label: 'bookings today', value: num(b.bookingsToday, 0), raw: b.bookingsToday },
      { id: 'calls-hour', label: 'calls, last hour', value: num(sum(b.calls, 'lastHour'), 0) },
      {
        id: 'webhooks',
        label: 'webhooks since start',
        value: num(sum(b.webhooks, 'total'), 0),
        raw: sum(b.webhooks, 'total'),
      },
      {
        id: 'webhooks-bad',
        label: 'rejected or failed webhooks',
        value: num(sum(badHooks, 'total'), 0),
        raw: sum(badHooks, 'total'),
        bad: sum(badHooks, 'lastHour') > 0,
      },
    ]);
    const countCols = (first, key) => [
      { id: key, label: first, value: (r) => r[key] },
      { id: 'lastHour', label: 'last hour', num: true, value: (r) => [num(r.lastHour, 0), r.lastHour] },
      { id: 'total', label: 'since start', num: true, value: (r) => [num(r.total, 0), r.total] },
    ];
    fillTable($('calls-table'), countCols('Status', 'status'), b.calls, {
      key: (r) => r.status,
      empty: 'No calls yet.',
    });
    fillTable(
      $('bookings-table'),
      [
        ...countCols('Status', 'status'),
        { id: 'today', label: 'today', num: true, value: (r) => [num(r.today, 0), r.today] },
      ],
      b.bookings.filter((r) => r.total > 0 || r.today),
      { key: (r) => r.status, empty: 'No bookings yet.' },
    );
    fillTable(
      $('webhooks-table'),
      [{ id: 'provider', label: 'Provider', value: (r) => r.provider }, ...countCols('Outcome', 'status')],
      b.webhooks,
      {
        key: (r) => `${r.provider} ${r.status}`,
        rowClass: (r) => (r.level === 'bad' ? 'bad' : ''),
        empty: 'No webhooks yet.',
      },
    );

    const s = d.system;
    const db = s.database;
    kpis($('system-kpis'), [
      {
        id: 'db',
        label: 'database connections / max',
        value: `${num(db.connections, 0)} / ${num(db.max, 0)}`,
        bad: db.max ? db.connections / db.max > 0.8 : false,
      },
      {
        id: 'slow',
        label: 'slow queries, last hour',
        value: num(db.slowQueries.lastHour, 0),
        bad: db.slowQueries.lastHour > 0,
      },
      {
        id: 'timeouts',
        label: 'job timeouts, last hour',
        value: num(s.jobTimeouts.lastHour, 0),
        bad: s.jobTimeouts.lastHour > 0,
      },
      { id: 'rss', label: 'resident memory', value: mb(s.runtime.rssBytes) },
      { id: 'heap', label: 'heap used', value: mb(s.runtime.heapUsedBytes) },
    ]);
    fillTable(
      $('queues-table'),
      [
        { id: 'queue', label: 'Queue', value: (r) => r.queue },
        { id: 'size', label: 'waiting', num: true, value: (r) => [num(r.size, 0), r.size] },
        { id: 'active', label: 'active', num: true, value: (r) => num(r.states.active, 0) },
        { id: 'failed', label: 'failed', num: true, value: (r) => num(r.states.failed, 0) },
      ],
      s.queues,
      {
        key: (r) => r.queue,
        rowClass: (r) => (r.size > 1000 ? 'warning' : ''),
        empty: 'No queue collected yet.',
      },
    );
    fillTable($('jobs-table'), countCols('Outcome', 'status'), s.jobs, {
      key: (r) => r.status,
      rowClass: (r) => (r.status !== 'completed' && r.lastHour > 0 ? 'bad' : ''),
      empty: 'No jobs processed yet.',
    });
    fillTable(
      $('collectors-table'),
      [
        { id: 'collector', label: 'Collector', value: (r) => r.collector },
        { id: 'last', label: 'last success', value: (r) => ago(r.lastSuccess, d.generatedAt) },
        { id: 'duration', label: 'last run', num: true, value: (r) => ms(r.durationSeconds) },
        { id: 'errors', label: 'errors', num: true, value: (r) => [num(r.errors, 0), r.errors] },
      ],
      s.collectors,
      {
        key: (r) => r.collector,
        rowClass: (r) => (!r.lastSuccess || d.generatedAt / 1000 - r.lastSuccess > 180 ? 'warning' : ''),
        empty: 'No collection has run yet.',
      },
    );
    fillTable(
      $('errors-table'),
      [
        { id: 'type', label: 'Type', value: (r) => r.type },
        { id: 'severity', label: 'severity', value: (r) => r.severity },
        { id: 'total', label: 'since start', num: true, value: (r) => [num(r.total, 0), r.total] },
      ],
      d.errors,
      {
        key: (r) => `${r.type} ${r.severity}`,
        rowClass: (r) => (r.severity === 'critical' ? 'bad' : ''),
        empty: 'No errors.',
      },
    );
    const guardRows = [
      ...s.guard.overflow.map((g) => ({ metric: g.metric, what: 'over the label-set cap', total: g.total })),
      ...s.guard.dropped.map((g) => ({
        metric: g.metric,
        what: `value replaced: ${g.reason}`,
        total: g.total,
      })),
    ];
    fillTable(
      $('guard-table'),
      [
        { id: 'metric', label: 'Metric', value: (r) => r.metric },
        { id: 'what', label: 'what', value: (r) => r.what },
        { id: 'total', label: 'since start', num: true, value: (r) => [num(r.total, 0), r.total] },
      ],
      guardRows,
      { empty: 'No label was capped or redacted.' },
    );

    $('slo-panel').hidden = d.slos.length === 0;
    fillTable(
      $('slo-table'),
      [
        { id: 'name', label: 'SLO', value: (r) => r.name },
        { id: 'objective', label: 'objective', num: true, value: (r) => pct(r.objective) },
        {
          id: 'burn',
          label: 'burn rate (last hour)',
          num: true,
          value: (r) => [r.burnRate === null ? '–' : `${num(r.burnRate)}×`, r.burnRate],
        },
        { id: 'budget', label: 'error budget used (last hour)', num: true, value: (r) => pct(r.budgetUsed) },
        {
          id: 'events',
          label: 'good / total',
          num: true,
          value: (r) => `${num(r.good, 0)} / ${num(r.total, 0)}`,
        },
      ],
      d.slos,
      {
        key: (r) => r.name,
        rowClass: (r) => (r.burnRate >= 14.4 ? 'critical' : r.burnRate >= 1 ? 'warning' : ''),
      },
    );

    const a = d.alerts;
    $('alerts-panel').hidden = !a.configured;
    $('alerts-note').textContent = a.ok ? (a.alerts.length ? '' : 'Nothing is firing.') : a.error;
    fillTable(
      $('alerts-table'),
      [
        { id: 'name', label: 'Alert', value: (r) => r.name },
        { id: 'severity', label: 'severity', value: (r) => r.severity },
        { id: 'summary', label: 'summary', value: (r) => r.summary },
        {
          id: 'labels',
          label: 'labels',
          value: (r) =>
            Object.entries(r.labels)
              .map((e) => e.join('='))
              .join(', '),
        },
        { id: 'since', label: 'since', value: (r) => new Date(r.startsAt).toLocaleTimeString() },
      ],
      a.alerts,
      {
        key: (r) => r.name,
        rowClass: (r) => (r.severity === 'critical' ? 'critical' : 'warning'),
        empty: 'None.',
      },
    );

    $('footer').textContent =
      `Sampled every ${d.intervalMs / 1000} s over the last ${Math.round(d.windowSeconds / 60)} min in this process; ` +
      `history holds ${mb(d.memory.usedBytes)} of its ${mb(d.memory.boundBytes)} bound.`;
    $('status').textContent = `Live · updated ${new Date(d.generatedAt).toLocaleTimeString()}`;
    document.body.dataset.generatedAt = String(d.generatedAt);
  }

  async function refresh() {
    clearTimeout(timer);
    let interval = 5000;
    try {
      const res = await fetch(`${base}/data?since=${since}`, {
        headers: { accept: 'application/json' },
        credentials: 'same-origin',
      });
      if (res.status === 401) {
        $('status').textContent = 'Signed out: reload the page to sign in again.';
        return;
      }
      if (!res.ok) throw new Error(`answered ${res.status}`);
      const d = await res.json();
      interval = d.intervalMs;
      failures = 0;
      await render(d);
    } catch (err) {
      failures++;
      $('status').textContent = `Update failed (${err.message}); retrying.`;
      interval = Math.min(60000, interval * 2 ** Math.min(failures, 4));
    }
    timer = setTimeout(refresh, interval);
  }

  $('table-view').addEventListener('change', (e) => {
    document.body.classList.toggle('tables-only', e.target.checked);
    for (const c of Object.values(charts)) {
      c.details.open = e.target.checked;
    }
  });
  window.addEventListener('resize', () => {
    for (const c of Object.values(charts))
      c.plot.setSize({ width: Math.max(300, c.target.clientWidth), height: 200 });
  });
  document.addEventListener('visibilitychange', () => {
    if (!document.hidden) refresh();
  });
  refresh();
})();
