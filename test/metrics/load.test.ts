import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import http from 'node:http';
import { createRequire } from 'node:module';
import { after, before, describe, test } from 'node:test';
import { readExposition, type Sample, sampleValue } from '../../src/metrics/exposition-reader.ts';
import { type RunningApp, startApp, TOKEN } from './apps.ts';

const CLIENTS = 50;
const PER_CLIENT = 2000;

// autocannon ships no types; this is the part used here.
interface LoadResult {
  errors: number;
  statusCodeStats: Record<string, { count: number }>;
}
const load = createRequire(import.meta.url)('autocannon') as (
  opts: Record<string, unknown>,
) => Promise<LoadResult>;

function promtoolCheck(text: string): Promise<{ code: number | null; output: string }> {
  return new Promise((resolve) => {
    const p = spawn('promtool', ['check', 'metrics'], { stdio: ['pipe', 'pipe', 'pipe'] });
    let output = '';
    p.stdout.on('data', (c) => {
      output += c;
    });
    p.stderr.on('data', (c) => {
      output += c;
    });
    p.on('exit', (code) => resolve({ code, output }));
    p.stdin.end(text);
  });
}

describe('under load, over real sockets', () => {
  let app: RunningApp;
  const agent = new http.Agent({ keepAlive: true, maxSockets: CLIENTS });

  function send(
    method: string,
    path: string,
    headers: Record<string, string> = {},
  ): Promise<{ status: number; body: string }> {
    return new Promise((resolve, reject) => {
      const req = http.request(`${app.url}${path}`, { method, agent, headers }, (res) => {
        let body = '';
        res.setEncoding('utf8');
        res.on('data', (c) => {
          body += c;
        });
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
      });
      req.on('error', reject);
      req.end();
    });
  }
  before(async () => {
    app = await startApp('fastify');
  });
  after(async () => {
    agent.destroy();
    await app.close();
  });

  async function scrapeText(): Promise<string> {
    return (await send('GET', '/api/metrics', { authorization: `Bearer ${TOKEN}` })).body;
  }

  test(`${CLIENTS} concurrent clients x ${PER_CLIENT} requests give exact totals; scrapes during the load pass promtool`, async () => {
    const checks: Array<Promise<{ code: number | null; output: string }>> = [];
    let done = false;
    const scraper = (async () => {
      while (!done) {
        checks.push(promtoolCheck(await scrapeText()));
        await new Promise((r) => setTimeout(r, 250));
      }
    })();
    // Each kind of request answers with its own status, so the load generator's status counts are
    // the expected totals per route.
    let n = 0;
    const result = await load({
      url: app.url,
      connections: CLIENTS,
      amount: CLIENTS * PER_CLIENT,
      requests: [
        {
          setupRequest: (req: Record<string, unknown>) => {
            const kind = n++ % 4;
            if (kind === 0)
              return { ...req, method: 'GET', path: `/api/bookings/${randomBytes(4).readUInt32BE()}` };
            if (kind === 1) return { ...req, method: 'POST', path: '/api/bookings' };
            if (kind === 2)
              return { ...req, method: 'GET', path: `/${randomBytes(6).toString('hex')}/x?q=${n}` };
            return { ...req, method: 'GET', path: '/api/fail' };
          },
        },
      ],
    });
    done = true;
    await scraper;
    const results = await Promise.all(checks);
    assert.ok(results.length >= 2, 'scraped while the load ran');
    for (const r of results) assert.equal(r.code, 0, r.output);
    assert.equal(result.errors, 0);
    const byStatus = result.statusCodeStats;
    const sent = Object.values(byStatus).reduce((a, s) => a + s.count, 0);
    assert.equal(sent, CLIENTS * PER_CLIENT);

    const { samples } = readExposition(await scrapeText());
    const count = (method: string, endpoint: string, status: string) =>
      sampleValue(samples, 'askproai_http_requests_total', { method, endpoint, status });
    const hist = (method: string, endpoint: string, status: string) =>
      sampleValue(samples, 'askproai_http_request_duration_seconds_count', { method, endpoint, status });
    assert.equal(count('GET', '/api/bookings/:id', '200'), byStatus['200']?.count);
    assert.equal(count('POST', '/api/bookings', '201'), byStatus['201']?.count);
    assert.equal(count('GET', 'unmatched', '404'), byStatus['404']?.count);
    assert.equal(count('GET', '/api/fail', '500'), byStatus['500']?.count);
    assert.equal(hist('GET', '/api/bookings/:id', '200'), byStatus['200']?.count);
    const total = samples
      .filter((s) => s.name === 'askproai_http_requests_total')
      .reduce((a, s) => a + s.value, 0);
    assert.equal(total, CLIENTS * PER_CLIENT);
  });

  test('a scanner sending 100,000 random paths creates no new series', async () => {
    const seriesCount = (samples: Sample[]) =>
      samples.filter((s) => s.name.startsWith('askproai_http_')).length;
    const before = seriesCount(readExposition(await scrapeText()).samples);
    const result = await load({
      url: app.url,
      connections: CLIENTS,
      amount: 100_000,
      requests: [
        {
          setupRequest: (req: Record<string, unknown>) => ({
            ...req,
            path: `/${randomBytes(8).toString('base64url')}/${randomBytes(4).toString('hex')}.php`,
          }),
        },
      ],
    });
    assert.equal(result.statusCodeStats['404']?.count, 100_000);
    const text = await scrapeText();
    const after = readExposition(text).samples;
    assert.equal(seriesCount(after), before, 'random paths all land in the existing unmatched series');
    assert.ok(!text.includes('.php'), 'no raw path in the exposition');
    assert.ok(text.length < 200_000, `exposition stays small (${text.length} bytes)`);
  });
});
