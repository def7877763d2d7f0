// The traffic simulator as a real process against a live service: it sends signed Retell and Cal.com
// traffic and API calls at the asked rate for the asked time, prints a summary, and the service's
// metrics move accordingly (calls, bookings, webhooks, errors from the failing share).
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { DEMO_COMPANY } from '../../src/service/demo.ts';
import { type RunningService, startService } from '../../src/service/start.ts';
import { metric, scrape, series, testConfig } from './helpers.ts';

const BIN = join(import.meta.dirname, '..', '..', 'scripts', 'askproai-dev.js');

function simulate(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      [BIN, 'simulate', ...args],
      { env: { ...process.env, RETELL_API_KEY: '', CALCOM_WEBHOOK_SECRET: '' }, timeout: 120_000 },
      (err, stdout, stderr) =>
        resolve({ code: err ? Number((err as { code?: number }).code ?? 1) : 0, stdout, stderr }),
    );
  });
}

describe('askproai simulate', () => {
  let service: RunningService;
  before(async () => {
    service = await startService(
      testConfig({ DATABASE_URL: 'sqlite::memory:', HOST: '127.0.0.1', REDIS_URL: '' }),
    );
  });
  after(async () => {
    await service?.close();
  });

  test('drives a live service and the metrics move', async () => {
    const run = await simulate([
      '--url',
      service.url!,
      '--rate',
      '40',
      '--duration',
      '3',
      '--fail-share',
      '0.1',
      '--slow-share',
      '0.05',
    ]);
    assert.equal(run.code, 0, run.stderr);
    assert.match(run.stdout, /^kind\s+sent\s+2xx\/3xx\s+4xx\s+5xx/m);
    const total = /^total\s+(\d+)\s+(\d+)\s+(\d+)\s+(\d+)\s+(\d+)/m.exec(run.stdout);
    assert.ok(total, run.stdout);
    const [sent, ok, clientErrors, serverErrors, noAnswer] = total.slice(1).map(Number) as [
      number,
      number,
      number,
      number,
      number,
    ];
    assert.equal(sent, 120, 'rate x duration requests');
    assert.equal(noAnswer, 0);
    assert.equal(clientErrors, 0, `valid traffic only:\n${run.stdout}`);
    assert.ok(serverErrors > 0 && ok > serverErrors, run.stdout);
    // Plain progress lines when stderr is not a terminal.
    assert.match(run.stderr, /100%\s+120\/120 sent/);

    const text = await scrape(service.app);
    const sum = (name: string, filter: (l: Record<string, string>) => boolean = () => true) =>
      series(text, name)
        .filter((s) => filter(s.labels))
        .reduce((n, s) => n + s.value, 0);
    assert.ok(sum('askproai_webhooks_total', (l) => l.provider === 'retell' && l.status === 'processed') > 0);
    assert.ok(sum('askproai_webhooks_total', (l) => l.provider === 'calcom' && l.status === 'processed') > 0);
    assert.equal(
      sum('askproai_webhooks_total', (l) => l.status === 'rejected' || l.status === 'invalid'),
      0,
    );
    assert.ok(sum('askproai_bookings_total') > 0);
    assert.equal(
      metric(text, 'askproai_errors_total', { type: 'intentional_failure', severity: 'error' }),
      serverErrors,
    );
    const calls = await service.database.db.selectFrom('calls').select('company_id').execute();
    assert.ok(calls.length > 0 && calls.every((c) => c.company_id === DEMO_COMPANY.id));
  });

  test('refuses a non-loopback URL and bad numbers, naming the option', async () => {
    const remote = await simulate(['--url', 'http://198.51.100.7:3000', '--duration', '1']);
    assert.equal(remote.code, 2);
    assert.match(remote.stderr, /--url: 198\.51\.100\.7 is not a loopback address/);
    const rate = await simulate(['--url', service.url!, '--rate', '100000', '--duration', '1']);
    assert.equal(rate.code, 2);
    assert.match(rate.stderr, /--rate: expected 1 to 500/);
  });
});
