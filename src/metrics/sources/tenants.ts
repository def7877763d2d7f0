/** `askproai_active_tenants`: companies counted in the tenants table. */
import type { Kysely } from 'kysely';
import { catalog } from '../catalog.ts';
import { assertIdentifier, isKysely, toCount } from './sql.ts';
import { type MetricSource, SourceConfigError } from './types.ts';

export interface TenantsSourceOptions {
  // biome-ignore lint/suspicious/noExplicitAny: sources query tables the application owns.
  db: Kysely<any>;
  /** Tenants table. Default `companies`. */
  table?: string;
  /** Column that marks a tenant active. Default `is_active`. */
  activeColumn?: string;
  /** The value of `activeColumn` that means active. Default 1 (integer 0/1 in every dialect). */
  activeValue?: string | number | boolean;
  timeoutMs?: number;
}

/** Counts active tenants: `SELECT COUNT(*) FROM companies WHERE is_active = 1` with the configured names. */
export function tenantsSource(options: TenantsSourceOptions): MetricSource {
  if (!isKysely(options.db)) throw new SourceConfigError('tenants source: `db` must be a Kysely instance');
  const table = assertIdentifier('tenants source `table`', options.table ?? 'companies', true);
  const column = assertIdentifier('tenants source `activeColumn`', options.activeColumn ?? 'is_active');
  const active = options.activeValue ?? 1;
  const db = options.db;
  return {
    name: 'tenants',
    metrics: [catalog.activeTenants],
    timeoutMs: options.timeoutMs,
    async collect() {
      const row = await db
        .selectFrom(table)
        .select((eb) => eb.fn.countAll().as('n'))
        .where(column, '=', active)
        .executeTakeFirst();
      return [{ metric: catalog.activeTenants, value: toCount(row?.n) }];
    },
  };
}
