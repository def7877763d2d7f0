/**
 * The service logger: pino JSON on stdout (also appended to LOG_FILE, which Promtail tails, and pushed to
 * Loki when LOKI_URL is set) with request, tenant and trace ids bound per request, and PII and secrets
 * scrubbed from every line.
 */
import type { FastifyBaseLogger } from 'fastify';
import pino, { type DestinationStream } from 'pino';
import type { Config } from '../config.ts';
import { LokiDestination } from './loki.ts';
import { createScrubber, type Scrubber } from './redact.ts';

/** What the service code logs through: a pino logger, as Fastify's request loggers are. */
export type Logger = FastifyBaseLogger;

export interface ServiceLogger {
  logger: pino.Logger;
  scrubber: Scrubber;
  loki: LokiDestination | undefined;
  /** Flushes Loki. */
  close(): Promise<void>;
}

export interface CreateLoggerOptions {
  /** Where JSON lines go instead of stdout (tests). */
  destination?: DestinationStream;
  /** Extra Loki options (batch interval in tests). */
  lokiIntervalMs?: number;
}

/** The path without the query string (which is where search terms, e-mails and numbers travel). */
function pathOnly(url: string): string {
  const q = url.indexOf('?');
  return (q < 0 ? url : url.slice(0, q)).slice(0, 512);
}

/** Every secret the configuration holds, so the scrubber can replace their literal values. */
export function configSecrets(config: Config): string[] {
  return [
    ...config.metrics.tokens,
    config.retellApiKey,
    config.calcomWebhookSecret,
    config.sessionSecret,
    config.sentry.dsn,
  ].filter((s): s is string => typeof s === 'string');
}

/**
 * The Loki stream labels of the service's lines, besides `level`: the same whether the service pushes
 * them (LOKI_URL) or Promtail ships LOG_FILE (observability/promtail/promtail.yml sets these).
 */
export function logStreamLabels(config: Pick<Config, 'env'>): Record<string, string> {
  return { job: 'askproai', service: 'askproai', env: config.env };
}

/** Builds the logger from config. */
export function createServiceLogger(config: Config, options: CreateLoggerOptions = {}): ServiceLogger {
  const scrubber = createScrubber(configSecrets(config));
  const stdout = options.destination ?? pino.destination({ dest: 1, sync: false });
  const loki = config.lokiUrl
    ? new LokiDestination({
        url: config.lokiUrl,
        labels: logStreamLabels(config),
        intervalMs: options.lokiIntervalMs,
      })
    : undefined;
  // The file gets the same scrubbed lines; created with its folder when missing, appended to otherwise.
  const file = config.logFile
    ? pino.destination({ dest: config.logFile, mkdir: true, append: true, sync: false })
    : undefined;
  const streams: pino.StreamEntry[] = [{ level: 'trace', stream: stdout }];
  if (file) streams.push({ level: 'trace', stream: file });
  if (loki) streams.push({ level: 'trace', stream: loki });
  const stream = streams.length === 1 ? stdout : pino.multistream(streams);
  const logger = pino(
    {
      level: config.logLevel,
      base: { service: 'askproai', env: config.env },
      messageKey: 'msg',
      redact: {
        paths: [
          'req.headers.authorization',
          'req.headers.cookie',
          'req.headers["x-retell-signature"]',
          'req.headers["x-cal-signature-256"]',
          'req.headers["x-api-key"]',
        ],
        censor: '[redacted]',
      },
      serializers: {
        // Method and path only: no headers, no client address, no query string; the path is scrubbed.
        req: (req: { method?: string; url?: string; id?: string; routeOptions?: { url?: string } }) => ({
          method: req.method,
          route: req.routeOptions?.url,
          path: req.url === undefined ? undefined : scrubber.text(pathOnly(req.url)),
        }),
        res: (res: { statusCode?: number }) => ({ statusCode: res.statusCode }),
        err: (err: unknown) => scrubber.value(err),
      },
      formatters: {
        level: (label) => ({ level: label }),
        log: (obj) => scrubber.value(obj) as Record<string, unknown>,
      },
      hooks: {
        logMethod(args, method) {
          const scrubbed = args.map((a) => (typeof a === 'string' ? scrubber.text(a) : a)) as typeof args;
          method.apply(this, scrubbed);
        },
      },
    },
    stream,
  );
  return {
    logger,
    scrubber,
    loki,
    async close() {
      await loki?.close();
      for (const d of [options.destination ? undefined : stdout, file]) {
        if (d && 'flushSync' in d) {
          try {
            (d as { flushSync(): void }).flushSync();
          } catch {
            // Not ready yet or already closed.
          }
        }
      }
    },
  };
}
