// Admin page: lists recent data and reports the page's load timing to /api/rum.
(() => {
  var page = document.body.dataset.page || 'other';
  var vitals = {};
  var sources = {
    dashboard: { url: '/api/bookings?limit=10', key: 'bookings' },
    bookings: { url: '/api/bookings?limit=50', key: 'bookings' },
    calls: { url: '/api/calls?limit=50', key: 'calls' },
    companies: { url: '/api/companies', key: 'companies' },
  };

  if (window.webVitals) {
    window.webVitals.onTTFB((m) => {
      vitals.ttfbMs = m.value;
    });
    window.webVitals.onFCP((m) => {
      vitals.fcpMs = m.value;
    });
  }

  function render(rows, what) {
    var table = document.getElementById('data');
    if (!rows.length) {
      document.getElementById('status').textContent = 'No ' + what + ' yet.';
      return;
    }
    var cols = Object.keys(rows[0]);
    table.tHead.innerHTML = '<tr>' + cols.map((c) => '<th>' + c + '</th>').join('') + '</tr>';
    var body = table.tBodies[0];
    rows.forEach((row) => {
      var tr = document.createElement('tr');
      cols.forEach((c) => {
        var td = document.createElement('td');
        var v = row[c];
        td.textContent = typeof v === 'number' && /_at$/.test(c) ? new Date(v).toLocaleString() : String(v);
        tr.appendChild(td);
      });
      body.appendChild(tr);
    });
    document.getElementById('status').textContent = rows.length + ' rows';
  }

  var source = sources[page];
  if (source) {
    fetch(source.url, { headers: { accept: 'application/json' } })
      .then((r) => r.json())
      .then((data) => {
        render(data[source.key] || [], source.key);
      })
      .catch(() => {
        document.getElementById('status').textContent = 'Could not load data.';
      });
  } else {
    document.getElementById('status').textContent = '';
  }

  function report() {
    var nav = performance.getEntriesByType('navigation')[0];
    var loadMs = nav && nav.loadEventEnd > 0 ? nav.loadEventEnd - nav.startTime : performance.now();
    var beacon = { page: page, loadMs: Math.round(loadMs) };
    if (vitals.ttfbMs !== undefined) beacon.ttfbMs = Math.round(vitals.ttfbMs);
    else if (nav) beacon.ttfbMs = Math.round(nav.responseStart - nav.startTime);
    if (vitals.fcpMs !== undefined) beacon.fcpMs = Math.round(vitals.fcpMs);
    var body = JSON.stringify(beacon);
    if (!navigator.sendBeacon?.('/api/rum', body)) {
      fetch('/api/rum', {
        method: 'POST',
        body: body,
        keepalive: true,
        headers: { 'content-type': 'text/plain' },
      });
    }
  }

  // loadEventEnd is set once the load handlers have run: report on the next tick.
  if (document.readyState === 'complete') setTimeout(report, 0);
  else
    window.addEventListener('load', () => {
      setTimeout(report, 0);
    });
})();
