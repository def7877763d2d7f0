/**
 * Schema migrations, kept in code so the same list runs on every dialect through Kysely's Migrator.
 * Column types are the portable subset: varchar, integer, bigint, text.
 */
import { type Kysely, type Migration, type MigrationProvider, Migrator } from 'kysely';

const migrations: Record<string, Migration> = {
  '2025_06_28_0001_tenants_calls_bookings': {
    async up(db: Kysely<unknown>) {
      await db.schema
        .createTable('companies')
        .addColumn('id', 'varchar(64)', (c) => c.primaryKey())
        .addColumn('name', 'varchar(200)', (c) => c.notNull())
        .addColumn('is_active', 'integer', (c) => c.notNull().defaultTo(1))
        .addColumn('phone_number', 'varchar(32)')
        .addColumn('retell_agent_id', 'varchar(128)', (c) => c.unique())
        .addColumn('created_at', 'bigint', (c) => c.notNull())
        .execute();

      await db.schema
        .createTable('calcom_event_types')
        .addColumn('event_type_id', 'bigint', (c) => c.primaryKey())
        .addColumn('company_id', 'varchar(64)', (c) => c.notNull())
        .addColumn('slug', 'varchar(200)')
        .execute();

      await db.schema
        .createTable('bookings')
        .addColumn('id', 'varchar(64)', (c) => c.primaryKey())
        .addColumn('company_id', 'varchar(64)', (c) => c.notNull())
        .addColumn('status', 'varchar(32)', (c) => c.notNull())
        .addColumn('source', 'varchar(16)', (c) => c.notNull())
        .addColumn('created_at', 'bigint', (c) => c.notNull())
        .addColumn('updated_at', 'bigint', (c) => c.notNull())
        .addColumn('start_at', 'bigint')
        .addColumn('end_at', 'bigint')
        .addColumn('calcom_uid', 'varchar(128)', (c) => c.unique())
        .addColumn('event_type_id', 'bigint')
        .addColumn('call_id', 'varchar(128)')
        .addColumn('customer_name', 'varchar(200)')
        .addColumn('customer_email', 'varchar(320)')
        .addColumn('customer_phone', 'varchar(32)')
        .execute();
      await db.schema.createIndex('bookings_created_at_idx').on('bookings').column('created_at').execute();
      await db.schema
        .createIndex('bookings_company_idx')
        .on('bookings')
        .columns(['company_id', 'created_at'])
        .execute();

      await db.schema
        .createTable('calls')
        .addColumn('id', 'varchar(128)', (c) => c.primaryKey())
        .addColumn('company_id', 'varchar(64)', (c) => c.notNull())
        .addColumn('agent_id', 'varchar(128)', (c) => c.notNull())
        .addColumn('status', 'varchar(32)', (c) => c.notNull())
        .addColumn('direction', 'varchar(16)')
        .addColumn('from_number', 'varchar(32)')
        .addColumn('to_number', 'varchar(32)')
        .addColumn('started_at', 'bigint')
        .addColumn('ended_at', 'bigint')
        .addColumn('duration_ms', 'bigint')
        .addColumn('disconnection_reason', 'varchar(64)')
        .addColumn('analysis', 'text')
        .addColumn('created_at', 'bigint', (c) => c.notNull())
        .addColumn('updated_at', 'bigint', (c) => c.notNull())
        .execute();
      await db.schema
        .createIndex('calls_company_idx')
        .on('calls')
        .columns(['company_id', 'created_at'])
        .execute();

      await db.schema
        .createTable('webhook_deliveries')
        .addColumn('id', 'varchar(64)', (c) => c.primaryKey())
        .addColumn('provider', 'varchar(16)', (c) => c.notNull())
        .addColumn('event', 'varchar(64)', (c) => c.notNull())
        .addColumn('company_id', 'varchar(64)', (c) => c.notNull())
        .addColumn('status', 'varchar(16)', (c) => c.notNull())
        .addColumn('received_at', 'bigint', (c) => c.notNull())
        .addColumn('processed_at', 'bigint')
        .execute();
    },
    async down(db: Kysely<unknown>) {
      for (const table of ['webhook_deliveries', 'calls', 'bookings', 'calcom_event_types', 'companies']) {
        await db.schema.dropTable(table).ifExists().execute();
      }
    },
  },
  '2026_12_02_0002_admin_users_api_keys_sessions': {
    async up(db: Kysely<unknown>) {
      await db.schema
        .createTable('admin_users')
        .addColumn('username', 'varchar(64)', (c) => c.primaryKey())
        .addColumn('password_hash', 'varchar(255)', (c) => c.notNull())
        .addColumn('created_at', 'bigint', (c) => c.notNull())
        .execute();
      await db.schema
        .createTable('api_keys')
        .addColumn('id', 'varchar(32)', (c) => c.primaryKey())
        .addColumn('company_id', 'varchar(64)', (c) => c.notNull())
        .addColumn('name', 'varchar(100)', (c) => c.notNull())
        .addColumn('key_hash', 'varchar(64)', (c) => c.notNull())
        .addColumn('created_at', 'bigint', (c) => c.notNull())
        .addColumn('revoked_at', 'bigint')
        .execute();
      await db.schema
        .createTable('admin_sessions')
        .addColumn('sid', 'varchar(128)', (c) => c.primaryKey())
        .addColumn('data', 'text', (c) => c.notNull())
        .addColumn('expires_at', 'bigint', (c) => c.notNull())
        .execute();
    },
    async down(db: Kysely<unknown>) {
      for (const table of ['admin_sessions', 'api_keys', 'admin_users']) {
        await db.schema.dropTable(table).ifExists().execute();
      }
    },
  },
};

const provider: MigrationProvider = { getMigrations: async () => migrations };

/** Brings the schema up to date; throws with the failing migration's name. */
export async function migrateToLatest(db: Kysely<unknown>): Promise<string[]> {
  const migrator = new Migrator({ db, provider });
  const { error, results } = await migrator.migrateToLatest();
  if (error) {
    const failed = results?.find((r) => r.status === 'Error')?.migrationName ?? 'unknown';
    throw new Error(`database migration ${failed} failed: ${(error as Error).message ?? String(error)}`, {
      cause: error,
    });
  }
  return (results ?? []).filter((r) => r.status === 'Success').map((r) => r.migrationName);
}
