// The live view of the reference service in real headless Chromium: it loads without console errors
// under its CSP, every panel renders, the numbers on the page equal /api/metrics taken at the same
// moment (counts exactly, quantiles within one bucket), a burst of signed webhooks and a few failing
// requests show up in the first refresh after them, and without credentials it is 401. A screenshot
// is saved as a test artifact (.tmp/artifacts/live-view.png).
import assert from 'node:assert/strict';
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { HTTP_BUCKETS } from '../../src/metrics/catalog.ts';
import { histogramQuantile } from '../../src/metrics/live/quantile.ts';
import { DEMO_SECRETS } from '../../src/service/demo.ts';
import { type RunningService, startService } from '../../src/service/start.ts';
import { calcomEvent, retellEvent, signedCalcom, signedRetell } from '../../src/service/webhooks/samples.ts';
import { type Alertmanager, startAlertmanager } from '../support/alertmanager.ts';
import { launchChromium } from '../support/chromium.ts';
import { parseExposition, type Sample, scrapeUrl, TOKEN, testConfig } from './helpers.ts';

const ARTIFACTS = join(process.cwd(), '.tmp', 'artifacts');
const CHART_IDS = [
  'requests',
  'latency',
  'webhooks',
  'business',
  'queues',
  'database',
  'eventloop',
  'memory',
];
const PANELS = ['#alerts-panel', '#requests-panel', '#business-panel', '#system-panel', '#slo-panel'];

const sum = (samples: Sample[], name: string, labels: Record<string, string>) =>
  samples
    .filter((s) => s.name === name && Object.entries(labels).every(([k, v]) => s.labels[k] === v))
    .reduce((a, s) => a + s.value, 0);

/** p-quantile of one route from the exposition, summed by le, as histogram_quantile would. */
function routeQuantile(samples: Sample[], route: string, q: number): number {
  const byLe = new Map<number, number>();
  for (const s of samples) {
    if (s.name !== 'askproai_http_request_duration_seconds_bucket' || s.labels.endpoint !== route) continue;
    const le = s.labels.le === '+Inf' ? Number.POSITIVE_INFINITY : Number(s.labels.le);
    byLe.set(le, (byLe.get(le) ?? 0) + s.value);
  }
  return histogramQuantile(
    q,
    [...byLe].map(([le, count]) => ({ le, count })),
  );
}

const bucketOf = (v: number) => {
  const i = HTTP_BUCKETS.findIndex((b) => v <= b);
  return i === -1 ? HTTP_BUCKETS.length : i;
};

/** Values of `td[data-col=col]` by row key in a table. */
async function column(page: Page, table: string, col: string): Promise<Record<string, number>> {
  return page.$$eval(
    `${table} tbody tr[data-key]`,
    (rows, c) =>
      Object.fromEntries(
        rows.map((r) => [
          (r as HTMLElement).dataset.key!,
          Number((r.querySelector(`td[data-col="${c}"]`) as HTMLElement | null)?.dataset.value ?? 'NaN'),
        ]),
      ),
    col,
  );
}

describe('live view in Chromium', () => {
  let service: RunningService;
  let alertmanager: Alertmanager;
  let browser: Browser;
  let context: BrowserContext;
  let page: Page;
  const errors: string[] = [];
  const dataRequests: number[] = [];

  before(async () => {
    alertmanager = await startAlertmanager({
      configYaml: `
route: { receiver: 'null' }
receivers: [{ name: 'null' }]
`,
    });
    await alertmanager.postAlerts([
      {
        labels: { alertname: 'HighApiLatency', severity: 'warning', endpoint: '/api/demo/slow' },
        annotations: { summary: 'API p95 above 200 ms' },
      },
    ]);
    service = await startService(
      testConfig({
        DATABASE_URL: 'sqlite::memory:',
        HOST: '127.0.0.1',
        REDIS_URL: '',
        MONITORING_ENABLED: 'true',
        METRICS_COLLECT_CRON: '* * * * * *',
        ALERTMANAGER_URL: alertmanager.url,
      }),
      {
        live: {
          intervalMs: 1000,
          slos: [
            {
              name: 'api-availability',
              objective: 0.99,
              good: { metric: 'http_requests_total', labels: { status: { not: { pattern: '5..' } } } },
              total: { metric: 'http_requests_total' },
            },
            {
              name: 'api-latency-500ms',
              objective: 0.95,
              good: { metric: 'http_request_duration_seconds', le: 0.5 },
              total: { metric: 'http_request_duration_seconds' },
            },
          ],
        },
      },
    );
    browser = await launchChromium();
    // The token in a header on every request, as a browser extension or a proxy would send it.
    context = await browser.newContext({
      extraHTTPHeaders: { authorization: `Bearer ${TOKEN}` },
      viewport: { width: 1400, height: 1000 },
    });
    page = await context.newPage();
    page.on('console', (m) => {
      if (m.type() === 'error') errors.push(m.text());
    });
    page.on('pageerror', (e) => errors.push(e.message));
    page.on('request', (r) => {
      if (r.url().includes('/monitoring/data')) dataRequests.push(Date.now());
    });
  });
  after(async () => {
    await browser?.close();
    await service?.close();
    await alertmanager?.stop();
  });

  async function traffic() {
    const base = service.url!;
    for (let i = 0; i < 6; i++) await (await fetch(`${base}/api/bookings?limit=5`)).text();
    for (let i = 0; i < 3; i++) await (await fetch(`${base}/api/demo/slow?ms=${250 + i * 100}`)).text();
    await (await fetch(`${base}/api/nope`)).text();
  }

  async function webhookBurst(n: number) {
    const base = service.url!;
    const posts: Promise<Response>[] = [];
    for (let i = 0; i < n; i++) {
      const r = signedRetell(retellEvent('call_ended'), DEMO_SECRETS.retellApiKey);
      posts.push(fetch(`${base}/api/webhooks/retell`, { method: 'POST', headers: r.headers, body: r.body }));
      const c = signedCalcom(
        calcomEvent('BOOKING_CREATED', { source: 'phone' }),
        DEMO_SECRETS.calcomWebhookSecret,
      );
      posts.push(fetch(`${base}/api/webhooks/calcom`, { method: 'POST', headers: c.headers, body: c.body }));
    }
    // Two forged deliveries: rejected, and they must stand out.
    const forged = signedRetell(retellEvent('call_ended'), 'not-the-key');
    for (let i = 0; i < 2; i++)
      posts.push(
        fetch(`${base}/api/webhooks/retell`, { method: 'POST', headers: forged.headers, body: forged.body }),
      );
    for (const res of await Promise.all(posts)) await res.text();
  }

  test('loads without console errors and every panel renders', async () => {
    await traffic();
    const res = await page.goto(`${service.url}/monitoring`, { waitUntil: 'load' });
    assert.equal(res?.status(), 200);
    await page.waitForFunction(() => Number(document.body.dataset.generatedAt ?? 0) > 0, undefined, {
      timeout: 15_000,
    });
    for (const panel of PANELS) assert.ok(await page.isVisible(panel), `${panel} is visible`);
    for (const id of CHART_IDS) {
      assert.equal(
        (await page.locator(`#chart-${id} canvas`).count()) > 0,
        true,
        `chart ${id} drew a canvas`,
      );
    }
    // Collection runs every second here: the system panel fills in.
    await page.waitForSelector('#collectors-table tbody tr[data-key]', { timeout: 15_000 });
    await page.waitForSelector('#alerts-table tbody tr[data-key="HighApiLatency"]', { timeout: 15_000 });
    assert.equal(await page.locator('#slo-table tbody tr[data-key]').count(), 2);
    assert.deepEqual(errors, []);
  });

  test('a burst of signed webhooks and failing requests appears in the first refresh after it', async () => {
    const before = await column(page, '#webhooks-table', 'total');
    const failBefore = (await column(page, '#routes-table', 'requests'))['/api/fail'] ?? 0;
    await webhookBurst(10);
    for (let i = 0; i < 3; i++) await (await fetch(`${service.url}/api/fail`)).text();
    const burstDone = Date.now();
    const seen = dataRequests.length;
    await page.waitForFunction((t) => Number(document.body.dataset.generatedAt) >= t, burstDone, {
      timeout: 10_000,
    });
    assert.ok(dataRequests.length - seen <= 2, 'one refresh (plus one already in flight) was enough');
    const after = await column(page, '#webhooks-table', 'total');
    assert.equal((after['retell processed'] ?? 0) - (before['retell processed'] ?? 0), 10);
    assert.equal((after['calcom processed'] ?? 0) - (before['calcom processed'] ?? 0), 10);
    assert.equal((after['retell rejected'] ?? 0) - (before['retell rejected'] ?? 0), 2);
    assert.equal(await page.locator('#webhooks-table tr.bad[data-key="retell rejected"]').count(), 1);
    assert.equal((await column(page, '#routes-table', 'requests'))['/api/fail']! - failBefore, 3);
    assert.equal(
      await page.locator('#routes-table tr[data-key="/api/fail"] td[data-col="errors"]').textContent(),
      '100 %',
    );
    assert.deepEqual(errors, []);
  });

  test('the numbers equal /api/metrics at the same moment', async () => {
    // No traffic from here on: a scrape, then the page's next refresh, then a second scrape must agree.
    const first = await scrapeUrl(service.url!);
    const t = Date.now();
    await page.waitForFunction((at) => Number(document.body.dataset.generatedAt) > at, t, {
      timeout: 10_000,
    });
    const text = await scrapeUrl(service.url!);
    const samples = parseExposition(text);
    const requestsBefore = parseExposition(first).filter((s) => s.name === 'askproai_http_requests_total');
    assert.deepEqual(
      samples.filter((s) => s.name === 'askproai_http_requests_total'),
      requestsBefore,
      'nothing was recorded in between',
    );

    const routes = await column(page, '#routes-table', 'requests');
    const endpoints = new Set(
      samples.filter((s) => s.name === 'askproai_http_requests_total').map((s) => s.labels.endpoint!),
    );
    assert.deepEqual(Object.keys(routes).sort(), [...endpoints].sort());
    for (const route of endpoints) {
      assert.equal(routes[route], sum(samples, 'askproai_http_requests_total', { endpoint: route }), route);
    }
    for (const q of ['p50', 'p95', 'p99'] as const) {
      const shown = await column(page, '#routes-table', q);
      for (const route of endpoints) {
        const expected = routeQuantile(samples, route, Number(q.slice(1)) / 100);
        if (Number.isNaN(expected)) continue; // aborted-only routes have no durations
        assert.ok(
          Math.abs(bucketOf(shown[route]!) - bucketOf(expected)) <= 1,
          `${route} ${q}: ${shown[route]} vs ${expected}`,
        );
      }
    }
    const hooks = await column(page, '#webhooks-table', 'total');
    for (const [key, value] of Object.entries(hooks)) {
      const [provider, status] = key.split(' ');
      assert.equal(
        value,
        sum(samples, 'askproai_webhooks_total', { provider: provider!, status: status! }),
        key,
      );
    }
    const calls = await column(page, '#calls-table', 'total');
    assert.ok(Object.keys(calls).length > 0);
    for (const [status, value] of Object.entries(calls))
      assert.equal(value, sum(samples, 'askproai_calls_total', { status }), `calls ${status}`);
    const bookings = await column(page, '#bookings-table', 'total');
    assert.ok(Object.keys(bookings).length > 0);
    for (const [status, value] of Object.entries(bookings))
      assert.equal(value, sum(samples, 'askproai_bookings_total', { status }), `bookings ${status}`);
    const kpi = await page.$eval('[data-kpi="requests"] .v', (e) => Number((e as HTMLElement).dataset.value));
    assert.equal(kpi, sum(samples, 'askproai_http_requests_total', {}));
  });

  test('the table view shows the charts as tables; a screenshot is saved', async () => {
    await page.check('#table-view');
    const rows = await page.locator('#chart-requests details table tbody tr').count();
    assert.ok(rows > 1, `the request chart's table has ${rows} rows`);
    await page.uncheck('#table-view');
    await mkdir(ARTIFACTS, { recursive: true });
    await page.screenshot({ path: join(ARTIFACTS, 'live-view.png'), fullPage: true });
    assert.deepEqual(errors, []);
  });

  test('401 without credentials; a browser is sent to the admin login', async () => {
    const anonymous = await browser.newContext();
    try {
      const p = await anonymous.newPage();
      const pageErrors: string[] = [];
      p.on('pageerror', (e) => pageErrors.push(e.message));
      const res = await p.goto(`${service.url}/monitoring`);
      assert.equal(res?.status(), 200);
      const landed = new URL(p.url());
      assert.equal(landed.pathname, '/admin/login');
      assert.equal(landed.searchParams.get('next'), '/monitoring');
      assert.equal(await p.locator('input[name="password"]').count(), 1);
      const data = await p.request.get(`${service.url}/monitoring/data`);
      assert.equal(data.status(), 401);
      assert.deepEqual(pageErrors, []);
    } finally {
      await anonymous.close();
    }
    const wrong = await fetch(`${service.url}/monitoring/data`, {
      headers: { authorization: 'Bearer wrong' },
    });
    assert.equal(wrong.status, 401);
  });
});
