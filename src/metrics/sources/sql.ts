/** Small helpers shared by the database-backed sources. */
import type { Kysely } from 'kysely';
import { SourceConfigError } from './types.ts';

export type SqlDialect = 'sqlite' | 'postgres' | 'mysql';

export const SQL_DIALECTS: readonly SqlDialect[] = ['sqlite', 'postgres', 'mysql'];

/**
 * Table and column names are spliced into SQL as identifiers (Kysely quotes them), so only plain names
 * are accepted; `schema.table` is allowed for tables.
 */
const IDENTIFIER = /^[A-Za-z_][A-Za-z0-9_]{0,62}$/;

/** Throws a SourceConfigError naming `setting` unless `value` is a plain SQL identifier. */
export function assertIdentifier(setting: string, value: string, allowSchema = false): string {
  const parts = allowSchema ? value.split('.') : [value];
  if (parts.length > 2 || !parts.every((p) => IDENTIFIER.test(p))) {
    throw new SourceConfigError(
      `${setting}: expected a plain SQL name (letters, digits, underscores${allowSchema ? ', optionally schema.table' : ''}), got ${JSON.stringify(value)}`,
    );
  }
  return value;
}

export function assertDialect(setting: string, value: string): SqlDialect {
  if (!(SQL_DIALECTS as readonly string[]).includes(value)) {
    throw new SourceConfigError(
      `${setting}: expected one of ${SQL_DIALECTS.join(', ')}, got ${JSON.stringify(value)}`,
    );
  }
  return value as SqlDialect;
}

/** COUNT(*) comes back as a number (SQLite, MySQL) or a string (PostgreSQL int8). */
export function toCount(value: unknown): number {
  const n = typeof value === 'bigint' ? Number(value) : Number(value ?? 0);
  if (!Number.isFinite(n)) throw new Error(`expected a count, got ${typeof value}`);
  return n;
}

/** True for a Kysely instance (for option checks at construction). */
export function isKysely(value: unknown): value is Kysely<unknown> {
  return (
    typeof value === 'object' && value !== null && typeof (value as Kysely<unknown>).selectFrom === 'function'
  );
}
