/**
 * `askproai serve` (`npm start`): runs the service and prints where everything is. Stops gracefully on
 * SIGINT/SIGTERM: the socket closes, in-flight requests and queue jobs finish, logs and error events
 * are flushed.
 */
import { chmodSync, mkdirSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import type { Command } from 'commander';
import { allowsDevelopmentDefaults, ConfigError } from '../../config.ts';
import { DEFAULTS } from '../../metrics/index.ts';
import { DEMO_COMPANY, DEMO_CREDENTIALS } from '../../service/demo.ts';
import { type RunningService, startService } from '../../service/start.ts';
import { configOrExit } from '../config.ts';

/** Where a generated development token is written (beside the embedded SQLite file), never printed. */
const GENERATED_TOKEN_FILE = `${dirname(DEFAULTS.sqlitePath)}/metrics-token`;

/** Writes the generated token to a file only its owner can read; the banner names the file. */
function saveGeneratedToken(token: string): string | undefined {
  try {
    mkdirSync(dirname(GENERATED_TOKEN_FILE), { recursive: true });
    writeFileSync(GENERATED_TOKEN_FILE, `${token}\n`, { mode: 0o600 });
    chmodSync(GENERATED_TOKEN_FILE, 0o600); // an older file keeps its mode on overwrite
    return GENERATED_TOKEN_FILE;
  } catch {
    return undefined;
  }
}

function banner(service: RunningService): string {
  const { config, url } = service;
  const lines = [
    `AskProAI service listening on ${url}`,
    `  Database:  ${service.database.description}`,
    `  Webhooks:  ${url}/api/webhooks/retell, ${url}/api/webhooks/calcom (${service.queue ? 'BullMQ queue "webhooks"' : 'processed inline; set REDIS_URL for a queue'})`,
    `  Admin:     ${url}/admin`,
    `  Health:    ${url}/api/health`,
  ];
  if (config.metrics.enabled) {
    lines.push(`  Metrics:   ${url}${config.metrics.path} (Authorization: Bearer <METRICS_AUTH_TOKEN>)`);
    lines.push(`  Live view: ${url}/monitoring (admin login, or the metrics token)`);
    if (config.metrics.tokenGenerated) {
      // Development only: production refuses to start without a configured token. The token goes to
      // a file (mode 600), not to the terminal or a log.
      const file = saveGeneratedToken(config.metrics.tokens[0]!);
      lines.push(
        file
          ? `  METRICS_AUTH_TOKEN is not set; generated one for this run in ${file} (mode 600): curl -H "Authorization: Bearer $(cat ${file})" ${url}${config.metrics.path}`
          : '  METRICS_AUTH_TOKEN is not set; generated one for this run (set METRICS_AUTH_TOKEN to scrape)',
      );
    }
  } else {
    lines.push('  Metrics:   disabled (METRICS_ENABLED=false)');
  }
  lines.push(
    `  Logs:      JSON on stdout${service.log.loki ? ` and pushed to Loki at ${new URL(config.lokiUrl!).origin}` : ''}`,
  );
  lines.push(
    `  Sentry:    ${service.tracker.enabled ? `on (environment ${config.sentry.environment})` : 'off (set SENTRY_DSN)'}`,
  );
  lines.push(
    `  Demo tenant: company ${DEMO_COMPANY.id}, Retell agent ${DEMO_COMPANY.retellAgentId}, Cal.com event type ${DEMO_COMPANY.calcomEventTypeId}`,
  );
  if (allowsDevelopmentDefaults(config)) {
    lines.push(
      `  Demo login: ${DEMO_CREDENTIALS.adminUser} / ${DEMO_CREDENTIALS.adminPassword} at ${url}/admin, API key ${DEMO_CREDENTIALS.apiKey} (loopback development only)`,
    );
  }
  if (service.secrets.demo.length > 0) {
    lines.push(
      `  Using the documented demo secrets for ${service.secrets.demo.join(', ')} (development only; see docs/service.md)`,
    );
  }
  return `${lines.join('\n')}\n`;
}

export function register(program: Command): void {
  program
    .command('serve', { isDefault: true })
    .description('run the AskProAI service: webhooks, bookings, admin pages and /api/metrics')
    .action(async () => {
      const config = configOrExit();
      let service: RunningService;
      try {
        service = await startService(config);
      } catch (err) {
        const message =
          err instanceof ConfigError ? err.message : `could not start: ${(err as Error).message}`;
        process.stderr.write(`askproai: ${message}\n`);
        process.exit(1);
      }
      process.stderr.write(banner(service));

      process.on('unhandledRejection', (reason) => {
        service.reportError({
          type: 'unhandled',
          severity: 'error',
          error: reason,
          message: 'unhandled promise rejection',
        });
      });
      process.on('uncaughtException', (err) => {
        service.reportError({
          type: 'unhandled',
          severity: 'critical',
          error: err,
          message: 'uncaught exception; exiting',
        });
        void service.close().finally(() => process.exit(1));
      });

      let stopping = false;
      const shutdown = (signal: string) => {
        if (stopping) return;
        stopping = true;
        service.log.logger.info({ signal }, 'shutting down');
        // A stuck dependency must not keep the process from exiting.
        setTimeout(() => process.exit(1), 10_000).unref();
        void service.close().then(() => process.exit(0));
      };
      process.once('SIGTERM', () => shutdown('SIGTERM'));
      process.once('SIGINT', () => shutdown('SIGINT'));
    });
}
