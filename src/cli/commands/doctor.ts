/**
 * `askproai monitoring:doctor`: the troubleshooting steps, run for you. Each check prints OK, FAIL (with
 * what to fix) or SKIP (not configured); the command exits 1 when any check failed.
 *
 * 1. Redis for metrics (METRICS_REDIS_URL, default REDIS_URL database 2): reachable, authenticated,
 *    and its database usable (write, read, delete a probe key).
 * 2. The application database (DATABASE_URL) answers a query.
 * 3. The scheduler's last success is recent (from the shared snapshot, else from the endpoint).
 * 4. The metrics endpoint answers 200 with the configured token.
 * 5. With PROMETHEUS_URL: Prometheus has the endpoint as a target and it is up.
 */
import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import type { Command } from 'commander';
import { Cron } from 'croner';
import { sql } from 'kysely';
import type { Config } from '../../config.ts';
import { catalog, fullName, redisKeyPrefix, samplesOf } from '../../metrics/index.ts';
import {
  createMonitorRedis,
  fetchExposition,
  localEndpointUrl,
  RedisSnapshotStore,
  safeErrorMessage,
  whenReady,
} from '../../metrics/schedule/index.ts';
import { DEFAULT_SQLITE_PATH, openDatabase, redactUrl } from '../../metrics/sources/index.ts';
import { configOrExit } from '../config.ts';

type Verdict = 'OK' | 'FAIL' | 'SKIP';

interface Check {
  verdict: Verdict;
  what: string;
  fix?: string;
}

function print(c: Check): void {
  process.stdout.write(`${c.verdict.padEnd(4)}  ${c.what}\n`);
  if (c.fix) process.stdout.write(`      fix: ${c.fix}\n`);
}

/** Seconds between two cron runs, for "recent". */
function cronIntervalSeconds(cron: string): number {
  try {
    const [a, b] = new Cron(cron, { paused: true }).nextRuns(2);
    if (a && b) return (b.getTime() - a.getTime()) / 1000;
  } catch {
    // reported elsewhere
  }
  return 60;
}

async function checkRedis(config: Config): Promise<{ check: Check; lastSuccess?: Map<string, number> }> {
  const url = config.metrics.redisUrl;
  if (!url) {
    return {
      check: {
        verdict: 'SKIP',
        what: 'Redis for metrics: not configured (REDIS_URL / METRICS_REDIS_URL unset); one instance, snapshot in memory',
      },
    };
  }
  const shown = redactUrl(url);
  const redis = createMonitorRedis(url, { maxBackoffMs: 500 });
  let lastError = '';
  redis.on('error', (err) => {
    lastError = safeErrorMessage(err);
  });
  try {
    const ready = await whenReady(redis, 3000);
    if (!ready) {
      const auth = /NOAUTH|WRONGPASS|invalid password|AUTH/i.test(lastError);
      return {
        check: {
          verdict: 'FAIL',
          what: `Redis for metrics at ${shown}: ${auth ? 'authentication failed' : 'not reachable'}${lastError ? ` (${lastError})` : ''}`,
          fix: auth
            ? 'check the password in REDIS_URL / METRICS_REDIS_URL (redis://:PASSWORD@host:6379/2)'
            : 'start Redis or correct REDIS_URL / METRICS_REDIS_URL; test with: redis-cli -u <url> ping',
        },
      };
    }
    const key = `${redisKeyPrefix(config.metrics.namespace)}doctor:${randomBytes(4).toString('hex')}`;
    try {
      await redis.set(key, '1', 'PX', 10_000);
      const back = await redis.get(key);
      await redis.del(key);
      if (back !== '1') throw new Error('a written probe key did not read back');
    } catch (err) {
      return {
        check: {
          verdict: 'FAIL',
          what: `Redis for metrics at ${shown}: database not usable (${safeErrorMessage(err)})`,
          fix: 'make sure the metrics database (db 2 by default) exists and the user may write it (databases setting, ACLs)',
        },
      };
    }
    const prefix = redisKeyPrefix(config.metrics.namespace);
    const snapshot = await new RedisSnapshotStore(redis, { key: `${prefix}snapshot` })
      .read()
      .catch(() => undefined);
    const lastSuccess = new Map<string, number>();
    for (const c of snapshot?.collectors ?? [])
      if (c.lastSuccessAt) lastSuccess.set(c.name, c.lastSuccessAt / 1000);
    return {
      check: {
        verdict: 'OK',
        what: `Redis for metrics at ${shown}: reachable, authenticated, database usable`,
      },
      lastSuccess,
    };
  } finally {
    redis.disconnect();
  }
}

async function checkDatabase(config: Config): Promise<Check> {
  if (!config.databaseUrl && !existsSync(DEFAULT_SQLITE_PATH)) {
    return {
      verdict: 'SKIP',
      what: `Database: DATABASE_URL unset and no ${DEFAULT_SQLITE_PATH} yet (the service creates it)`,
    };
  }
  let opened: Awaited<ReturnType<typeof openDatabase>> | undefined;
  try {
    opened = await openDatabase(config.databaseUrl, {
      poolSize: 1,
      connectTimeoutMs: 3000,
      mustExist: !config.databaseUrl,
    });
    await sql`SELECT 1`.execute(opened.db);
    return { verdict: 'OK', what: `Database ${opened.display}: answers queries` };
  } catch (err) {
    return {
      verdict: 'FAIL',
      what: `Database${opened ? ` ${opened.display}` : ''}: ${safeErrorMessage(err)}`,
      fix: 'start the database or correct DATABASE_URL (postgres://, mysql://, sqlite:<path>)',
    };
  } finally {
    await opened?.close().catch(() => {});
  }
}

function checkFreshness(config: Config, lastSuccess: Map<string, number> | undefined, now: number): Check {
  if (!lastSuccess || lastSuccess.size === 0) {
    return {
      verdict: 'FAIL',
      what: 'Scheduler: no successful collection found',
      fix: 'start the service (it collects every minute) or run: askproai metrics:collect --immediate',
    };
  }
  // Two missed runs plus the collector timeout is late.
  const limit =
    2 * cronIntervalSeconds(config.metrics.collectCron) + config.metrics.collectorTimeoutMs / 1000;
  const newest = Math.max(...lastSuccess.values());
  const age = now / 1000 - newest;
  const stale = [...lastSuccess].filter(([, t]) => now / 1000 - t > limit).map(([n]) => n);
  if (stale.length > 0) {
    return {
      verdict: 'FAIL',
      what: `Scheduler: last success of ${stale.join(', ')} is older than ${Math.round(limit)} s`,
      fix: 'check the service log for collector errors and run: askproai metrics:collect --immediate',
    };
  }
  return {
    verdict: 'OK',
    what: `Scheduler: last success ${Math.round(age)} s ago (within ${Math.round(limit)} s)`,
  };
}

async function checkEndpoint(
  config: Config,
  url: string,
): Promise<{ check: Check; lastSuccess?: Map<string, number> }> {
  if (config.metrics.tokenGenerated) {
    return {
      check: {
        verdict: 'FAIL',
        what: `Endpoint ${url}: METRICS_AUTH_TOKEN is not set here, so the service's token is unknown`,
        fix: 'set METRICS_AUTH_TOKEN (or METRICS_AUTH_TOKEN_FILE) to the token the service uses',
      },
    };
  }
  try {
    const res = await fetchExposition(url, config.metrics.tokens[0]);
    if (res.status === 401) {
      return {
        check: {
          verdict: 'FAIL',
          what: `Endpoint ${url}: token rejected (401)`,
          fix: 'METRICS_AUTH_TOKEN here differs from the service’s; use the same value',
        },
      };
    }
    if (res.status !== 200) {
      return {
        check: {
          verdict: 'FAIL',
          what: `Endpoint ${url}: answered ${res.status}`,
          fix: res.status === 404 ? 'check METRICS_ENABLED and METRICS_PATH' : 'see the service log',
        },
      };
    }
    const lastSuccess = new Map<string, number>();
    for (const s of samplesOf(
      res.text,
      fullName(catalog.metricsCollectionLastSuccess, config.metrics.namespace),
    )) {
      if (s.labels.collector) lastSuccess.set(s.labels.collector, s.value);
    }
    return { check: { verdict: 'OK', what: `Endpoint ${url}: 200 with the configured token` }, lastSuccess };
  } catch (err) {
    return {
      check: {
        verdict: 'FAIL',
        what: `Endpoint ${url}: not reachable (${safeErrorMessage((err as Error).cause ?? err)})`,
        fix: 'start the service (askproai serve) or pass --url with the address it listens on',
      },
    };
  }
}

interface PromTarget {
  health: string;
  scrapeUrl: string;
  lastError: string;
}

async function checkPrometheus(config: Config, endpointUrl: string): Promise<Check> {
  const prom = config.prometheusUrl;
  if (!prom) return { verdict: 'SKIP', what: 'Prometheus: PROMETHEUS_URL not set' };
  try {
    // Basic auth (the compose stack's Prometheus takes it) from the URL's user and password, sent as a
    // header: fetch refuses URLs with credentials, and neither is shown.
    const url = new URL('/api/v1/targets?state=active', prom);
    const headers: Record<string, string> = {};
    if (url.username !== '' || url.password !== '') {
      const user = decodeURIComponent(url.username);
      const pass = decodeURIComponent(url.password);
      headers.authorization = `Basic ${Buffer.from(`${user}:${pass}`).toString('base64')}`;
      url.username = '';
      url.password = '';
    }
    const res = await fetch(url, { headers, signal: AbortSignal.timeout(5000) });
    if (res.status === 401) {
      await res.arrayBuffer();
      return {
        verdict: 'FAIL',
        what: `Prometheus ${redactUrl(prom)}: 401, it takes basic auth`,
        fix: 'put the user and password into PROMETHEUS_URL (http://admin:PASSWORD@localhost:9090; the password is observability/secrets/prometheus_web_password)',
      };
    }
    const body = (await res.json()) as { data?: { activeTargets?: PromTarget[] } };
    const want = new URL(endpointUrl);
    const sameHostPort = (u: URL) =>
      u.port === want.port &&
      u.pathname === want.pathname &&
      (u.hostname === want.hostname || want.hostname === '127.0.0.1');
    const targets = (body.data?.activeTargets ?? []).filter((t) => {
      try {
        return sameHostPort(new URL(t.scrapeUrl));
      } catch {
        return false;
      }
    });
    if (targets.length === 0) {
      return {
        verdict: 'FAIL',
        what: `Prometheus ${redactUrl(prom)}: no target scrapes ${want.host}${want.pathname}`,
        fix: 'add the service to scrape_configs (metrics_path /api/metrics, bearer credentials) and reload Prometheus',
      };
    }
    const down = targets.filter((t) => t.health !== 'up');
    if (down.length > 0) {
      return {
        verdict: 'FAIL',
        what: `Prometheus ${redactUrl(prom)}: target ${down[0]!.scrapeUrl} is ${down[0]!.health}${down[0]!.lastError ? ` (${safeErrorMessage(down[0]!.lastError)})` : ''}`,
        fix: 'check the scrape config’s bearer token file and that Prometheus can reach the service',
      };
    }
    return { verdict: 'OK', what: `Prometheus ${redactUrl(prom)}: target ${targets[0]!.scrapeUrl} is up` };
  } catch (err) {
    return {
      verdict: 'FAIL',
      what: `Prometheus ${redactUrl(prom)}: not reachable (${safeErrorMessage(err)})`,
      fix: 'start Prometheus or correct PROMETHEUS_URL',
    };
  }
}

export function register(program: Command): void {
  program
    .command('monitoring:doctor')
    .description(
      'check Redis, the database, the scheduler, the metrics endpoint and Prometheus; say what to fix',
    )
    .option('--url <url>', 'metrics endpoint of the service (default from HOST, PORT and METRICS_PATH)')
    .action(async (opts: { url?: string }) => {
      const config = configOrExit();
      const url = opts.url ?? localEndpointUrl(config.host, config.port, config.metrics.path);
      const checks: Check[] = [];
      const redis = await checkRedis(config);
      checks.push(redis.check);
      print(redis.check);
      const db = await checkDatabase(config);
      checks.push(db);
      print(db);
      const endpoint = await checkEndpoint(config, url);
      const fresh = checkFreshness(config, redis.lastSuccess ?? endpoint.lastSuccess, Date.now());
      checks.push(fresh, endpoint.check);
      print(fresh);
      print(endpoint.check);
      const prom = await checkPrometheus(config, url);
      checks.push(prom);
      print(prom);
      const failed = checks.filter((c) => c.verdict === 'FAIL').length;
      process.stdout.write(failed === 0 ? '\nAll checks passed.\n' : `\n${failed} check(s) failed.\n`);
      process.exit(failed === 0 ? 0 : 1);
    });
}
