/**
 * `askproai metrics:collect [--immediate]`: one collection now, as the scheduler would run it.
 * Without --immediate it skips when another instance holds the collection lock; with it, it runs
 * regardless. Prints what each collector produced and exits 1 when a collector failed or timed out
 * ("not configured" is not a failure). The snapshot is stored where the service reads it, so running
 * instances serve the new values at their next sync.
 */
import { existsSync } from 'node:fs';
import type { Command } from 'commander';
import type { Config } from '../../config.ts';
import { createRegistry } from '../../metrics/index.ts';
import type { CollectorReport } from '../../metrics/schedule/index.ts';
import { type Collection, createCollection, whenReady } from '../../metrics/schedule/index.ts';
import {
  DEFAULT_SQLITE_PATH,
  type OpenedDatabase,
  openDatabase,
  SourceConfigError,
} from '../../metrics/sources/index.ts';
import { metricsOptions } from '../../service/metrics-options.ts';
import { configOrExit } from '../config.ts';

export interface CliCollection {
  collection: Collection;
  database: OpenedDatabase | undefined;
  close(): Promise<void>;
}

/**
 * The collection the service would run, for one-shot commands: the database from DATABASE_URL (or the
 * service's embedded SQLite file when it exists) and Redis from REDIS_URL / METRICS_REDIS_URL.
 */
export async function openCliCollection(config: Config): Promise<CliCollection> {
  let database: OpenedDatabase | undefined;
  if (config.databaseUrl || existsSync(DEFAULT_SQLITE_PATH)) {
    database = await openDatabase(config.databaseUrl, { mustExist: !config.databaseUrl, poolSize: 2 });
  }
  let collection: Collection;
  try {
    collection = createCollection({
      settings: metricsOptions(config),
      registry: createRegistry({ namespace: config.metrics.namespace }),
      db: database?.db,
      dialect: database?.dialect,
      runOnStart: false,
      maxBackoffMs: 500,
    });
  } catch (err) {
    await database?.close();
    throw err;
  }
  // One-shot commands give Redis a moment to connect; commands fail fast after that.
  await Promise.all(
    [collection.metricsRedis, collection.queueRedis]
      .filter((r) => r !== undefined)
      .map((r) => whenReady(r, 3000)),
  );
  return {
    collection,
    database,
    async close() {
      await collection.scheduler.stop({ release: false });
      collection.metricsRedis?.disconnect();
      collection.queueRedis?.disconnect();
      await database?.close().catch(() => {});
    },
  };
}

function pad(s: string, n: number): string {
  return s.length >= n ? s : s + ' '.repeat(n - s.length);
}

/** A plain text table; the last column is not padded. */
export function formatTable(header: string[], rows: string[][]): string {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: string[]) =>
    cells
      .map((c, i) => (i === cells.length - 1 ? c : pad(c, widths[i]!)))
      .join('  ')
      .trimEnd();
  return [line(header), line(widths.map((w) => '-'.repeat(w))), ...rows.map(line)].join('\n') + '\n';
}

export function formatDuration(ms: number): string {
  return ms < 1000 ? `${ms.toFixed(1)} ms` : `${(ms / 1000).toFixed(2)} s`;
}

/** collector / status / samples / duration / detail. */
export function collectorTable(collectors: readonly CollectorReport[]): string {
  return formatTable(
    ['collector', 'status', 'samples', 'duration', 'detail'],
    collectors.map((c) => [
      c.name,
      c.status === 'not_configured' ? 'not configured' : c.status,
      String(c.samples),
      c.status === 'not_configured' ? '-' : formatDuration(c.durationMs),
      c.error ?? '',
    ]),
  );
}

export function register(program: Command): void {
  program
    .command('metrics:collect')
    .description('collect the system metrics now (queues, database, tenants, bookings today)')
    .option('--immediate', 'run even when another instance holds the collection lock')
    .option('--json', 'print the snapshot as JSON')
    .action(async (opts: { immediate?: boolean; json?: boolean }) => {
      const config = configOrExit();
      let cli: CliCollection;
      try {
        cli = await openCliCollection(config);
      } catch (err) {
        const message =
          err instanceof SourceConfigError
            ? err.message
            : `cannot set up the collection: ${(err as Error).message}`;
        process.stderr.write(`askproai: ${message}\n`);
        process.exit(1);
      }
      let code = 0;
      try {
        const outcome = await cli.collection.scheduler.collect({ force: opts.immediate ?? false });
        if (!outcome.ran) {
          const holder = await cli.collection.lock?.holder().catch(() => null);
          process.stdout.write(
            `Skipped: another instance${holder ? ` (${holder})` : ''} holds the collection lock; use --immediate to run anyway.\n`,
          );
        } else if (outcome.snapshot) {
          const s = outcome.snapshot;
          if (opts.json) process.stdout.write(`${JSON.stringify(s, null, 2)}\n`);
          else {
            process.stdout.write(collectorTable(s.collectors));
            process.stdout.write(
              `\nStored in ${cli.collection.store.kind}${outcome.storeError ? ` FAILED (${outcome.storeError})` : ''}; took ${formatDuration(s.durationMs)}.\n`,
            );
          }
          const failed = s.collectors.filter((c) => c.status === 'error' || c.status === 'timeout');
          if (failed.length > 0) {
            process.stderr.write(
              `askproai: ${failed.length} collector(s) failed: ${failed.map((c) => c.name).join(', ')}\n`,
            );
            code = 1;
          }
        }
      } finally {
        await cli.close();
      }
      process.exit(code);
    });
}
