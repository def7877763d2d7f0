// The admin pages in real headless Chromium: a browser without a session lands on the login page, the
// demo admin logs in, each page reports its navigation timing through navigator.sendBeacon, and
// askproai_admin_page_load_seconds{page} counts it under the right page. The beacon endpoint validates
// and bounds what it records, so abuse cannot create series.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { Browser } from 'playwright-core';
import { ADMIN_PAGES } from '../../src/metrics/catalog.ts';
import { DEMO_CREDENTIALS } from '../../src/service/demo.ts';
import { type RunningService, startService } from '../../src/service/start.ts';
import { launchChromium } from '../support/chromium.ts';
import { waitFor } from '../support/wait.ts';
import { adminCookie, metric, scrape, series, testConfig } from './helpers.ts';

const COUNT = 'askproai_admin_page_load_seconds_count';

describe('admin page timings', () => {
  let service: RunningService;
  let browser: Browser;
  before(async () => {
    service = await startService(
      testConfig({ DATABASE_URL: 'sqlite::memory:', HOST: '127.0.0.1', REDIS_URL: '' }),
    );
    browser = await launchChromium();
  });
  after(async () => {
    await browser?.close();
    await service?.close();
  });

  test('Chromium loads /admin and /admin/bookings and each reports its load time', async () => {
    const page = await browser.newPage();
    const errors: string[] = [];
    page.on('pageerror', (e) => errors.push(e.message));
    page.on('console', (m) => {
      // The pages run under the Content-Security-Policy: nothing on them may be blocked by it.
      if (/Content Security Policy/i.test(m.text())) errors.push(m.text());
    });
    await page.goto(`${service.url}/admin/bookings`, { waitUntil: 'load' });
    assert.match(page.url(), /\/admin\/login\?next=%2Fadmin%2Fbookings$/);
    await page.fill('input[name=username]', DEMO_CREDENTIALS.adminUser);
    await page.fill('input[name=password]', DEMO_CREDENTIALS.adminPassword);
    await Promise.all([page.waitForURL(/\/admin\/bookings$/), page.click('button[type=submit]')]);
    await page.waitForSelector('#status:not(:text("Loading…"))');
    await page.goto(`${service.url}/admin`, { waitUntil: 'load' });
    const text = await waitFor(
      async () => {
        const t = await scrape(service.app);
        return (
          metric(t, COUNT, { page: 'bookings' }) === 1 && metric(t, COUNT, { page: 'dashboard' }) === 1 && t
        );
      },
      { what: 'both beacons to be recorded', timeoutMs: 15_000 },
    );
    const sum = metric(text, 'askproai_admin_page_load_seconds_sum', { page: 'bookings' });
    assert.ok(sum > 0 && sum < 60, `a plausible load time, got ${sum} s`);
    assert.equal(
      metric(text, 'askproai_admin_page_load_seconds_bucket', { page: 'bookings', le: '+Inf' }),
      1,
    );
    assert.deepEqual(errors, []);
    await page.close();
  });

  test('the beacon endpoint validates, bounds and folds unknown pages', async () => {
    const cookie = await adminCookie(service.url!);
    const post = (payload: string) =>
      service.app.inject({
        method: 'POST',
        url: '/api/rum',
        headers: { 'content-type': 'text/plain', cookie, 'sec-fetch-site': 'same-origin' },
        payload,
      });
    for (let i = 0; i < 10; i++) {
      assert.equal(
        (await post(JSON.stringify({ page: `/admin/made-up-${i}`, loadMs: 300 }))).statusCode,
        204,
      );
    }
    assert.equal((await post(JSON.stringify({ page: 'settings', loadMs: 1200 }))).statusCode, 204);
    assert.equal((await post(JSON.stringify({ page: 'bookings', loadMs: -5 }))).statusCode, 400);
    assert.equal((await post(JSON.stringify({ page: 'bookings', loadMs: 1e12 }))).statusCode, 400);
    assert.equal((await post(JSON.stringify({ page: 'bookings', loadMs: 'fast' }))).statusCode, 400);
    assert.equal((await post('not json')).statusCode, 400);
    assert.equal((await post(JSON.stringify({ page: 'x'.repeat(5000), loadMs: 1 }))).statusCode, 413);

    const text = await scrape(service.app);
    assert.equal(metric(text, COUNT, { page: 'other' }), 10);
    assert.equal(metric(text, 'askproai_admin_page_load_seconds_sum', { page: 'settings' }), 1.2);
    const pages = new Set(series(text, COUNT).map((s) => s.labels.page));
    for (const p of pages)
      assert.ok((ADMIN_PAGES as readonly string[]).includes(p!), `unexpected page label ${p}`);
  });
});
