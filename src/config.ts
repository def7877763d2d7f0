/**
 * The environment, parsed once. Everything else receives the typed `Config`; nothing else reads
 * `process.env`. Every error names the variable and says what was expected; secrets never appear in
 * a message.
 */
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { z } from 'zod';
import { DEFAULTS } from './metrics/defaults.ts';

export class ConfigError extends Error {
  override name = 'ConfigError';
}

/** Tokens that documentation examples use; refused in production. */
const PLACEHOLDER_TOKENS = new Set([
  'your-secure-token-here',
  'your-token-here',
  'changeme',
  'change-me',
  'secret',
  'token',
  'metrics',
  'password',
  'test',
]);
/** APP_TIMEZONE's default; the generated business-hours alerting uses the same zone. */
export const DEFAULT_APP_TIMEZONE: string = DEFAULTS.timezone;
export const MIN_PRODUCTION_TOKEN_LENGTH = 32;

/** True for a host name or address that only this machine can reach. */
export function isLoopbackHost(host: string): boolean {
  const h = host.replace(/^\[|\]$/g, '').toLowerCase();
  return h === 'localhost' || h === '::1' || /^127(?:\.\d{1,3}){3}$/.test(h);
}

/**
 * Why a secret is too weak for a reachable service, or null: shorter than 32 characters, one repeated
 * character, or a known placeholder. The message names the variable, never the value.
 */
export function weakSecretReason(value: string): string | null {
  if (PLACEHOLDER_TOKENS.has(value.toLowerCase())) return 'is a documentation placeholder, not a secret';
  if (value.length < MIN_PRODUCTION_TOKEN_LENGTH)
    return `must be at least ${MIN_PRODUCTION_TOKEN_LENGTH} characters (got ${value.length})`;
  if ([...value].every((c) => c === value[0])) return 'is one character repeated, not a secret';
  return null;
}

/**
 * Development defaults (demo webhook secrets, generated tokens) are allowed only here: outside
 * production and listening on loopback, where nobody else can reach them.
 */
export function allowsDevelopmentDefaults(config: Pick<Config, 'env' | 'host'>): boolean {
  return config.env !== 'production' && isLoopbackHost(config.host);
}
export const TOKEN_HINT =
  "generate one with: node -e \"console.log(require('node:crypto').randomBytes(32).toString('hex'))\"";

const bool = (fallback: boolean) =>
  z
    .enum(['true', 'false', '1', '0', 'yes', 'no', 'on', 'off', ''])
    .optional()
    .transform((v) => (v === undefined || v === '' ? fallback : ['true', '1', 'yes', 'on'].includes(v)));
const int = (fallback: number, min = 0, max = Number.MAX_SAFE_INTEGER) =>
  z
    .string()
    .optional()
    .transform((v, ctx) => {
      if (v === undefined || v.trim() === '') return fallback;
      const n = Number(v);
      if (!Number.isInteger(n) || n < min || n > max) {
        ctx.addIssue({ code: 'custom', message: `expected a whole number from ${min} to ${max}` });
        return z.NEVER;
      }
      return n;
    });
const num = (fallback: number, min: number, max: number) =>
  z
    .string()
    .optional()
    .transform((v, ctx) => {
      if (v === undefined || v.trim() === '') return fallback;
      const n = Number(v);
      if (!Number.isFinite(n) || n < min || n > max) {
        ctx.addIssue({ code: 'custom', message: `expected a number from ${min} to ${max}` });
        return z.NEVER;
      }
      return n;
    });
const str = (fallback?: string) =>
  z
    .string()
    .optional()
    .transform((v) => (v === undefined || v.trim() === '' ? fallback : v.trim()));
const list = (fallback: string[]) =>
  z
    .string()
    .optional()
    .transform((v) =>
      v === undefined
        ? fallback
        : v
            .split(',')
            .map((s) => s.trim())
            .filter(Boolean),
    );
const url = () =>
  z
    .string()
    .optional()
    .transform((v, ctx) => {
      if (v === undefined || v.trim() === '') return undefined;
      try {
        new URL(v.trim());
        return v.trim();
      } catch {
        // The value may hold a password: say what is wrong without echoing it.
        ctx.addIssue({ code: 'custom', message: 'expected a URL such as redis://host:6379/2' });
        return z.NEVER;
      }
    });

const EnvSchema = z.object({
  NODE_ENV: z.enum(['production', 'development', 'test']).optional().default('development'),
  PORT: int(8080, 0, 65535),
  HOST: str('127.0.0.1'),
  LOG_LEVEL: z
    .enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'])
    .optional()
    .default('info'),
  LOKI_URL: url(),
  LOG_FILE: str(),
  APP_TIMEZONE: str(DEFAULTS.timezone),

  METRICS_ENABLED: bool(true),
  METRICS_AUTH_TOKEN: z.string().optional(),
  METRICS_AUTH_TOKEN_FILE: str(),
  METRICS_NAMESPACE: z
    .string()
    .optional()
    .default(DEFAULTS.namespace)
    .refine((v) => v === '' || /^[a-zA-Z_][a-zA-Z0-9_]*$/.test(v), {
      message: 'expected letters, digits and underscores, not starting with a digit',
    }),
  METRICS_PATH: str(DEFAULTS.metricsPath),
  METRICS_EXCLUDE_PATHS: list([...DEFAULTS.excludePaths]),
  METRICS_MAX_SERIES: int(DEFAULTS.maxSeries, 1, 1_000_000),
  METRICS_REDIS_URL: url(),
  METRICS_COLLECT_CRON: str(DEFAULTS.collectCron),
  METRICS_COLLECTOR_TIMEOUT_MS: int(DEFAULTS.collectorTimeoutMs, 100, 600_000),
  METRICS_SLOW_QUERY_MS: int(DEFAULTS.slowQueryMs, 1, 600_000),
  METRICS_UNANSWERED_AFTER_MS: int(DEFAULTS.httpUnansweredAfterMs, 1000, 3_600_000),
  METRICS_MAX_UNANSWERED: int(DEFAULTS.httpMaxUnanswered, 1, 100_000),
  // Queues the scheduled collector counts: BullMQ names, `list:<key>` for plain Redis lists.
  METRICS_QUEUES: list([...DEFAULTS.queues]),
  METRICS_QUEUE_PREFIX: str(DEFAULTS.queuePrefix),
  MONITORING_ENABLED: bool(true),

  REDIS_URL: url(),
  DATABASE_URL: str(),
  PROMETHEUS_URL: url(),
  ALERTMANAGER_URL: url(),

  RETELL_API_KEY: str(),
  CALCOM_WEBHOOK_SECRET: str(),
  SESSION_SECRET: str(),
  TRUST_PROXY: bool(false),

  SENTRY_DSN: str(),
  SENTRY_LARAVEL_DSN: str(),
  SENTRY_ENVIRONMENT: str(),
  SENTRY_TRACES_SAMPLE_RATE: num(0.1, 0, 1),
});

export interface Config {
  env: 'production' | 'development' | 'test';
  port: number;
  host: string;
  logLevel: 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace' | 'silent';
  lokiUrl: string | undefined;
  /** Also append the JSON log lines to this file (Promtail tails it); unset: stdout (and Loki) only. */
  logFile: string | undefined;
  timezone: string;
  metrics: {
    enabled: boolean;
    /** Accepted bearer tokens (several during a rotation). Never log these. */
    tokens: string[];
    /** True when the token was generated at start because none was configured (development only). */
    tokenGenerated: boolean;
    namespace: string;
    path: string;
    excludePaths: string[];
    maxSeries: number;
    redisUrl: string | undefined;
    collectCron: string;
    collectorTimeoutMs: number;
    slowQueryMs: number;
    /** An aborted request unanswered this long counts in `http_requests_unanswered`. */
    unansweredAfterMs: number;
    /** Cap on aborted requests watched for an answer. */
    maxUnanswered: number;
    /** BullMQ queue names and `list:<key>` plain Redis lists counted by the queues collector. */
    queues: string[];
    /** BullMQ key prefix. */
    queuePrefix: string;
  };
  monitoringEnabled: boolean;
  redisUrl: string | undefined;
  databaseUrl: string | undefined;
  prometheusUrl: string | undefined;
  /** The live view shows the alerts firing here. */
  alertmanagerUrl: string | undefined;
  retellApiKey: string | undefined;
  calcomWebhookSecret: string | undefined;
  /** Signs admin session cookies (the service checks it at start; see service/secrets.ts). Never log it. */
  sessionSecret: string | undefined;
  /** Trust X-Forwarded-* from a TLS-terminating proxy (session cookies are `Secure` behind it). */
  trustProxy: boolean;
  sentry: { dsn: string | undefined; environment: string; tracesSampleRate: number };
}

/**
 * Secrets that may come from a file instead (Docker and Kubernetes secrets): `<NAME>_FILE` names the file,
 * whose content (without the trailing newline) is the value. METRICS_AUTH_TOKEN_FILE has its own handling.
 */
export const SECRET_FILE_VARIABLES = [
  'RETELL_API_KEY',
  'CALCOM_WEBHOOK_SECRET',
  'SESSION_SECRET',
  'DATABASE_URL',
  'REDIS_URL',
  'METRICS_REDIS_URL',
  'SENTRY_DSN',
] as const;

function withSecretFiles(env: NodeJS.ProcessEnv): NodeJS.ProcessEnv {
  let out = env;
  for (const name of SECRET_FILE_VARIABLES) {
    const file = env[`${name}_FILE`];
    if (!file) continue;
    if (env[name]) throw new ConfigError(`${name}_FILE: set either ${name} or ${name}_FILE, not both`);
    let value: string;
    try {
      value = readFileSync(file, 'utf8').replace(/\r?\n$/, '');
    } catch (err) {
      // The path is configuration, not a secret; the content is never echoed.
      throw new ConfigError(
        `${name}_FILE: cannot read ${file} (${(err as NodeJS.ErrnoException).code ?? 'error'})`,
      );
    }
    out = { ...out, [name]: value };
  }
  return out;
}

/** Parses the environment. Throws `ConfigError` naming each bad variable. */
export function loadConfig(env: NodeJS.ProcessEnv = process.env): Config {
  const parsed = EnvSchema.safeParse(withSecretFiles(env));
  if (!parsed.success) {
    const lines = parsed.error.issues.map((i) => `  ${i.path.join('.')}: ${i.message}`);
    throw new ConfigError(`Invalid environment:\n${lines.join('\n')}`);
  }
  const e = parsed.data;
  if (!isValidTimezone(e.APP_TIMEZONE!)) {
    throw new ConfigError(`APP_TIMEZONE: unknown time zone; expected an IANA name such as Europe/Berlin`);
  }
  const devDefaults = allowsDevelopmentDefaults({ env: e.NODE_ENV, host: e.HOST! });
  const { tokens, generated } = resolveTokens(
    devDefaults,
    e.METRICS_ENABLED,
    e.METRICS_AUTH_TOKEN,
    e.METRICS_AUTH_TOKEN_FILE,
  );
  const metricsPath = e.METRICS_PATH!;
  if (!metricsPath.startsWith('/')) throw new ConfigError('METRICS_PATH: expected a path starting with /');

  return {
    env: e.NODE_ENV,
    port: e.PORT,
    host: e.HOST!,
    logLevel: e.LOG_LEVEL,
    lokiUrl: e.LOKI_URL,
    logFile: e.LOG_FILE,
    timezone: e.APP_TIMEZONE!,
    metrics: {
      enabled: e.METRICS_ENABLED,
      tokens,
      tokenGenerated: generated,
      namespace: e.METRICS_NAMESPACE,
      path: metricsPath,
      excludePaths: e.METRICS_EXCLUDE_PATHS,
      maxSeries: e.METRICS_MAX_SERIES,
      redisUrl: e.METRICS_REDIS_URL ?? redisDb(e.REDIS_URL, DEFAULTS.metricsRedisDb),
      collectCron: e.METRICS_COLLECT_CRON!,
      collectorTimeoutMs: e.METRICS_COLLECTOR_TIMEOUT_MS,
      slowQueryMs: e.METRICS_SLOW_QUERY_MS,
      unansweredAfterMs: e.METRICS_UNANSWERED_AFTER_MS,
      maxUnanswered: e.METRICS_MAX_UNANSWERED,
      queues: e.METRICS_QUEUES,
      queuePrefix: e.METRICS_QUEUE_PREFIX!,
    },
    monitoringEnabled: e.MONITORING_ENABLED,
    redisUrl: e.REDIS_URL,
    databaseUrl: e.DATABASE_URL,
    prometheusUrl: e.PROMETHEUS_URL,
    alertmanagerUrl: e.ALERTMANAGER_URL,
    retellApiKey: e.RETELL_API_KEY,
    calcomWebhookSecret: e.CALCOM_WEBHOOK_SECRET,
    sessionSecret: e.SESSION_SECRET,
    trustProxy: e.TRUST_PROXY,
    sentry: {
      dsn: e.SENTRY_DSN ?? e.SENTRY_LARAVEL_DSN,
      environment: e.SENTRY_ENVIRONMENT ?? e.NODE_ENV,
      tracesSampleRate: e.SENTRY_TRACES_SAMPLE_RATE,
    },
  };
}

function isValidTimezone(tz: string): boolean {
  try {
    new Intl.DateTimeFormat('en', { timeZone: tz });
    return true;
  } catch {
    return false;
  }
}

/** The spec keeps metrics in Redis database 2: derive it from REDIS_URL when no METRICS_REDIS_URL is set. */
function redisDb(redisUrl: string | undefined, db: number): string | undefined {
  if (!redisUrl) return undefined;
  const u = new URL(redisUrl);
  u.pathname = `/${db}`;
  return u.toString();
}

function resolveTokens(
  devDefaults: boolean,
  enabled: boolean,
  inline: string | undefined,
  file: string | undefined,
): { tokens: string[]; generated: boolean } {
  let raw = inline;
  if (file) {
    try {
      raw = readFileSync(file, 'utf8');
    } catch (err) {
      throw new ConfigError(
        `METRICS_AUTH_TOKEN_FILE: cannot read ${file} (${(err as NodeJS.ErrnoException).code ?? 'error'})`,
      );
    }
  }
  const tokens = (raw ?? '')
    .split(/[,\n]/)
    .map((t) => t.trim())
    .filter(Boolean);
  const source = file ? 'METRICS_AUTH_TOKEN_FILE' : 'METRICS_AUTH_TOKEN';
  if (!devDefaults && enabled) {
    if (tokens.length === 0) {
      throw new ConfigError(
        `${source}: required in production (and on any non-loopback HOST) to protect /api/metrics; ${TOKEN_HINT}`,
      );
    }
    tokens.forEach((t, i) => {
      const which = tokens.length > 1 ? ` (token ${i + 1} of ${tokens.length})` : '';
      const weak = weakSecretReason(t);
      if (weak) throw new ConfigError(`${source}${which}: ${weak}; ${TOKEN_HINT}`);
    });
  }
  if (tokens.length === 0) return { tokens: [randomBytes(24).toString('hex')], generated: true };
  return { tokens, generated: false };
}
