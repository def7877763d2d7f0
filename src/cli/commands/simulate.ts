/**
 * `askproai simulate --url http://127.0.0.1:8080 --rate 20 --duration 60 [--slow-share 0.1 --fail-share 0.05]`:
 * sends signed Retell and Cal.com traffic and API calls to a running service so the dashboards and
 * alerts move. A progress bar on a terminal, plain progress lines otherwise, a summary table at the end.
 * Secrets come from RETELL_API_KEY / CALCOM_WEBHOOK_SECRET, else the documented demo secrets.
 */
import type { Command } from 'commander';
import { ConfigError, loadConfig } from '../../config.ts';
import { DEMO_SECRETS } from '../../service/demo.ts';
import { quantile, REQUEST_KINDS, type SimulationStats, simulate } from '../../service/simulator.ts';

interface SimulateFlags {
  url: string;
  rate: string;
  duration: string;
  slowShare: string;
  failShare: string;
  allowRemote?: boolean;
  apiKey?: string;
}

function progressLine(s: SimulationStats, tty: boolean): string {
  const done = s.planned === 0 ? 1 : Math.min(1, (s.sent + s.skipped) / s.planned);
  const errors = REQUEST_KINDS.reduce((n, k) => n + s.byKind[k].serverErrors + s.byKind[k].networkErrors, 0);
  const text = `${String(Math.round(done * 100)).padStart(3)}%  ${s.sent}/${s.planned} sent  ${s.completed} answered  ${errors} errors  ${(s.elapsedMs / 1000).toFixed(1)} s`;
  if (!tty) return `${text}\n`;
  const width = 30;
  const filled = Math.round(done * width);
  return `\r[${'#'.repeat(filled)}${'-'.repeat(width - filled)}] ${text}\x1b[K`;
}

/** The summary table: one row per request kind and a total. */
export function summaryTable(s: SimulationStats): string {
  const header = ['kind', 'sent', '2xx/3xx', '4xx', '5xx', 'no answer', 'p50 ms', 'p95 ms'];
  const fmt = (v: number) => (Number.isNaN(v) ? '-' : v.toFixed(0));
  const rows = REQUEST_KINDS.filter((k) => s.byKind[k].sent > 0).map((k) => {
    const b = s.byKind[k];
    return [
      k,
      b.sent,
      b.ok,
      b.clientErrors,
      b.serverErrors,
      b.networkErrors,
      fmt(quantile(b.latenciesMs, 0.5)),
      fmt(quantile(b.latenciesMs, 0.95)),
    ].map(String);
  });
  const all = REQUEST_KINDS.map((k) => s.byKind[k]);
  const sum = (f: (b: (typeof all)[number]) => number) => all.reduce((n, b) => n + f(b), 0);
  const latencies = all.flatMap((b) => b.latenciesMs);
  rows.push(
    [
      'total',
      sum((b) => b.sent),
      sum((b) => b.ok),
      sum((b) => b.clientErrors),
      sum((b) => b.serverErrors),
      sum((b) => b.networkErrors),
      fmt(quantile(latencies, 0.5)),
      fmt(quantile(latencies, 0.95)),
    ].map(String),
  );
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  const line = (cells: string[]) =>
    cells.map((c, i) => (i === 0 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join('  ');
  const out = [line(header), widths.map((w) => '-'.repeat(w)).join('  '), ...rows.map(line)];
  out.push(
    `${s.sent} requests in ${(s.elapsedMs / 1000).toFixed(1)} s${s.skipped ? `, ${s.skipped} skipped because the service fell behind` : ''}`,
  );
  return `${out.join('\n')}\n`;
}

export function register(program: Command): void {
  program
    .command('simulate')
    .description('send realistic signed webhook traffic and API calls to a running service')
    .option('--url <url>', 'the service to drive (loopback unless --allow-remote)', 'http://127.0.0.1:8080')
    .option('--rate <n>', 'requests per second (1-500)', '20')
    .option('--duration <seconds>', 'how long to run (1-3600)', '60')
    .option('--slow-share <share>', 'share of slow requests (0-1)', '0')
    .option('--fail-share <share>', 'share of failing requests (0-1)', '0')
    .option('--api-key <key>', "the tenant's API key for the API calls (default: the development demo key)")
    .option('--allow-remote', 'allow a URL that is not on this machine')
    .action(async (flags: SimulateFlags) => {
      let retellApiKey: string;
      let calcomWebhookSecret: string;
      try {
        const config = loadConfig();
        retellApiKey = config.retellApiKey ?? DEMO_SECRETS.retellApiKey;
        calcomWebhookSecret = config.calcomWebhookSecret ?? DEMO_SECRETS.calcomWebhookSecret;
      } catch (err) {
        if (!(err instanceof ConfigError)) throw err;
        // The simulator needs only the webhook secrets; other settings may be for a different process.
        retellApiKey = process.env.RETELL_API_KEY || DEMO_SECRETS.retellApiKey;
        calcomWebhookSecret = process.env.CALCOM_WEBHOOK_SECRET || DEMO_SECRETS.calcomWebhookSecret;
      }
      const tty = process.stderr.isTTY === true;
      let lastPlain = -1;
      const controller = new AbortController();
      process.once('SIGINT', () => controller.abort());
      try {
        const stats = await simulate({
          url: flags.url,
          rate: Number(flags.rate),
          durationSeconds: Number(flags.duration),
          slowShare: Number(flags.slowShare),
          failShare: Number(flags.failShare),
          allowRemote: flags.allowRemote === true,
          apiKey: flags.apiKey,
          retellApiKey,
          calcomWebhookSecret,
          signal: controller.signal,
          onProgress: (s) => {
            if (tty) {
              process.stderr.write(progressLine(s, true));
              return;
            }
            // Plain output: one line per 10 % step.
            const step = Math.floor(((s.sent + s.skipped) / Math.max(1, s.planned)) * 10);
            if (step !== lastPlain) {
              lastPlain = step;
              process.stderr.write(progressLine(s, false));
            }
          },
        });
        if (tty) process.stderr.write('\n');
        process.stdout.write(summaryTable(stats));
        const answered = REQUEST_KINDS.reduce(
          (n, k) => n + stats.byKind[k].sent - stats.byKind[k].networkErrors,
          0,
        );
        if (stats.sent > 0 && answered === 0) {
          process.stderr.write(
            `askproai simulate: no request got an answer from ${flags.url}; is the service running?\n`,
          );
          process.exitCode = 1;
        }
      } catch (err) {
        process.stderr.write(`askproai simulate: ${(err as Error).message}\n`);
        process.exitCode = 2;
      }
    });
}
