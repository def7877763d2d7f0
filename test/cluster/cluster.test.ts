/** A real 4-worker Node cluster: the primary's single exposition has exact totals across workers. */
import assert from 'node:assert/strict';
import { get } from 'node:http';
import { after, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { freePort } from '../support/ports.ts';
import { type ManagedProcess, spawnProcess } from '../support/processes.ts';

const FIXTURE = fileURLToPath(new URL('./fixtures/app.ts', import.meta.url));
const TOKEN = 'cluster-test-token';
let app: ManagedProcess | undefined;

after(async () => {
  await app?.stop();
});

/** One request on a fresh connection, so the primary's round robin spreads them over the workers. */
function record(port: number, n: number): Promise<string> {
  return new Promise((resolve, reject) => {
    get({ host: '127.0.0.1', port, path: `/record?n=${n}`, agent: false }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (c) => {
        body += c;
      });
      res.on('end', () => resolve(body));
    }).on('error', reject);
  });
}

function value(text: string, series: string): number | undefined {
  const l = text.split('\n').find((x) => x.startsWith(`${series} `));
  return l === undefined ? undefined : Number(l.slice(series.length + 1));
}

test('counters and histograms summed exactly, cluster gauges taken once, process gauges summed', async () => {
  const appPort = await freePort();
  app = await spawnProcess(process.execPath, ['--import', 'tsx', FIXTURE], {
    name: 'cluster',
    env: { APP_PORT: String(appPort), METRICS_AUTH_TOKEN: TOKEN },
    readyWhen: (out) => /READY \d+ \d+/.test(out),
    timeoutMs: 60_000,
  });
  const [, appP, metricsP] = /READY (\d+) (\d+)/.exec(app.output())!;

  const pids = new Set<string>();
  let bookings = 0;
  let seconds = 0;
  const byN = new Map<number, number>();
  const requests = 200;
  for (let batch = 0; batch < requests / 20; batch++) {
    await Promise.all(
      Array.from({ length: 20 }, async (_, i) => {
        const n = ((batch * 20 + i) % 5) + 1;
        pids.add(await record(Number(appP), n));
        bookings += n;
        seconds += n / 4;
        byN.set(n, (byN.get(n) ?? 0) + 1);
      }),
    );
  }
  assert.ok(pids.size >= 2, `requests reached ${pids.size} worker(s)`);

  const res = await fetch(`http://127.0.0.1:${metricsP}/api/metrics`, {
    headers: { authorization: `Bearer ${TOKEN}` },
  });
  assert.equal(res.status, 200);
  const text = await res.text();
  assert.equal(value(text, 'askproai_bookings_total{status="confirmed",source="phone"}'), bookings);
  assert.equal(value(text, 'askproai_bookings_total{status="cancelled",source="web"}'), 0);
  assert.equal(
    value(text, 'askproai_webhooks_total{provider="retell",event="call_ended",status="success"}'),
    requests,
  );
  const h = 'askproai_webhook_processing_duration_seconds';
  assert.equal(value(text, `${h}_count{provider="retell",event="call_ended"}`), requests);
  assert.equal(value(text, `${h}_sum{provider="retell",event="call_ended"}`), seconds);
  // n/4 seconds: n=1 lands in le=0.25, n=2 in le=0.5, n=3 and 4 in le=1, n=5 in le=2.5.
  assert.equal(value(text, `${h}_bucket{provider="retell",event="call_ended",le="0.25"}`), byN.get(1));
  assert.equal(
    value(text, `${h}_bucket{provider="retell",event="call_ended",le="0.5"}`),
    byN.get(1)! + byN.get(2)!,
  );
  assert.equal(
    value(text, `${h}_bucket{provider="retell",event="call_ended",le="1"}`),
    requests - byN.get(5)!,
  );
  assert.equal(value(text, `${h}_bucket{provider="retell",event="call_ended",le="+Inf"}`), requests);
  // Every worker serves the same platform-wide queue size: shown once, not four times.
  assert.equal(value(text, 'askproai_queue_size{queue="default"}'), 42);
  // Each worker's own pool: summed.
  assert.equal(value(text, 'askproai_database_pool_connections{state="total"}'), 4);
  assert.equal((text.match(/^# TYPE askproai_bookings_total counter$/gm) ?? []).length, 1);
});
