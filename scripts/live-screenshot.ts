/**
 * Regenerates docs/live-view.png: starts the reference service (embedded SQLite, collection every
 * second), sends simulated signed traffic with some slow and failing requests for a few minutes, opens
 * the live view in headless Chromium with the metrics token and takes a full-page screenshot.
 *
 *   node --import tsx scripts/live-screenshot.ts [seconds] [out.png]
 */
import { loadConfig } from '../src/config.ts';
import { DEMO_SECRETS } from '../src/service/demo.ts';
import { simulate } from '../src/service/simulator.ts';
import { startService } from '../src/service/start.ts';
import { launchChromium } from '../test/support/chromium.ts';

const seconds = Number(process.argv[2] ?? 150);
const out = process.argv[3] ?? 'docs/live-view.png';
const token = 'screenshot-token-0123456789abcdef';

const service = await startService(
  loadConfig({
    NODE_ENV: 'test',
    METRICS_AUTH_TOKEN: token,
    LOG_LEVEL: 'silent',
    PORT: '0',
    DATABASE_URL: 'sqlite::memory:',
    METRICS_COLLECT_CRON: '*/5 * * * * *',
  }),
  {
    live: {
      intervalMs: 2000,
      slos: [
        {
          name: 'api-availability',
          objective: 0.995,
          good: { metric: 'http_requests_total', labels: { status: { not: { pattern: '5..' } } } },
          total: { metric: 'http_requests_total' },
        },
        {
          name: 'webhooks-processed',
          objective: 0.99,
          good: { metric: 'webhooks_total', labels: { status: ['processed', 'duplicate'] } },
          total: { metric: 'webhooks_total' },
        },
      ],
    },
  },
);
try {
  const url = service.url!;
  // Quiet first, then busier with slow and failing requests, so the charts show a change.
  await simulate({
    url,
    rate: 5,
    durationSeconds: Math.round(seconds / 2),
    retellApiKey: DEMO_SECRETS.retellApiKey,
    calcomWebhookSecret: DEMO_SECRETS.calcomWebhookSecret,
  });
  await simulate({
    url,
    rate: 15,
    durationSeconds: Math.round(seconds / 2),
    slowShare: 0.08,
    failShare: 0.03,
    retellApiKey: DEMO_SECRETS.retellApiKey,
    calcomWebhookSecret: DEMO_SECRETS.calcomWebhookSecret,
  });
  const browser = await launchChromium();
  const context = await browser.newContext({
    extraHTTPHeaders: { authorization: `Bearer ${token}` },
    viewport: { width: 1400, height: 1000 },
  });
  const page = await context.newPage();
  await page.goto(`${url}/monitoring`, { waitUntil: 'load' });
  await page.waitForFunction(() => Number(document.body.dataset.generatedAt ?? 0) > 0);
  await page.screenshot({ path: out, fullPage: true });
  await browser.close();
  console.log(`wrote ${out}`);
} finally {
  await service.close();
}
