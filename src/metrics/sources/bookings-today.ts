/**
 * `askproai_bookings_today{status}`: bookings created since local midnight in APP_TIMEZONE, counted from
 * the database, so the number is right after restarts and the same on every instance.
 */
import type { Kysely } from 'kysely';
import { BOOKING_STATUSES, catalog } from '../catalog.ts';
import { DEFAULTS } from '../defaults.ts';
import { startOfLocalDay } from './local-midnight.ts';
import { assertIdentifier, isKysely, toCount } from './sql.ts';
import { type MetricSource, type Sample, SourceConfigError } from './types.ts';

export interface BookingsTodaySourceOptions {
  // biome-ignore lint/suspicious/noExplicitAny: sources query tables the application owns.
  db: Kysely<any>;
  /** IANA zone whose midnight starts the day (APP_TIMEZONE). Default Europe/Berlin. */
  timezone?: string;
  /** Default `bookings`. */
  table?: string;
  /** Creation time as epoch milliseconds (BIGINT). Default `created_at`. */
  createdAtColumn?: string;
  /** Default `status`. */
  statusColumn?: string;
  /** Clock, for tests. */
  now?: () => number;
  timeoutMs?: number;
}

/** Statuses outside the catalog's BookingStatus set are counted together under this label value. */
export const OTHER_BOOKING_STATUS = 'other';

const KNOWN: ReadonlySet<string> = new Set(BOOKING_STATUSES);

export function bookingsTodaySource(options: BookingsTodaySourceOptions): MetricSource {
  if (!isKysely(options.db))
    throw new SourceConfigError('bookings-today source: `db` must be a Kysely instance');
  const timezone = options.timezone ?? DEFAULTS.timezone;
  try {
    new Intl.DateTimeFormat('en', { timeZone: timezone });
  } catch {
    throw new SourceConfigError(`APP_TIMEZONE: unknown time zone ${JSON.stringify(timezone)}`);
  }
  const table = assertIdentifier('bookings-today source `table`', options.table ?? 'bookings', true);
  const createdAt = assertIdentifier(
    'bookings-today source `createdAtColumn`',
    options.createdAtColumn ?? 'created_at',
  );
  const status = assertIdentifier('bookings-today source `statusColumn`', options.statusColumn ?? 'status');
  const now = options.now ?? Date.now;
  const db = options.db;
  return {
    name: 'bookings_today',
    metrics: [catalog.bookingsToday],
    timeoutMs: options.timeoutMs,
    async collect() {
      const since = startOfLocalDay(now(), timezone);
      const rows = await db
        .selectFrom(table)
        .select([`${status} as status`, (eb) => eb.fn.countAll().as('n')])
        .where(createdAt, '>=', since)
        .groupBy(status)
        .execute();
      // Every known status is reported, 0 included, so the dashboard's sum never has gaps.
      const counts = new Map<string, number>(BOOKING_STATUSES.map((s) => [s, 0]));
      for (const row of rows) {
        const key = KNOWN.has(String(row.status)) ? String(row.status) : OTHER_BOOKING_STATUS;
        counts.set(key, (counts.get(key) ?? 0) + toCount(row.n));
      }
      const samples: Sample[] = [];
      for (const [s, n] of counts) samples.push({ metric: catalog.bookingsToday, labels: [s], value: n });
      return samples;
    },
  };
}
