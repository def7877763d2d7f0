/**
 * The demo tenant's documented credentials: created outside production on loopback when missing, and
 * deleted by any other start, so they never open a reachable service.
 */
import { createHash } from 'node:crypto';
import { allowsDevelopmentDefaults, type Config } from '../../config.ts';
import type { ServiceDb } from '../db/connect.ts';
import { DEMO_COMPANY, DEMO_CREDENTIALS } from '../demo.ts';
import { setAdminPassword } from './credentials.ts';

/** Returns true when the demo credentials are usable in this run. */
export async function applyDemoCredentials(
  db: ServiceDb,
  config: Pick<Config, 'env' | 'host'>,
): Promise<boolean> {
  if (!allowsDevelopmentDefaults(config)) {
    await db.deleteFrom('api_keys').where('id', '=', DEMO_CREDENTIALS.apiKeyId).execute();
    await db.deleteFrom('admin_users').where('username', '=', DEMO_CREDENTIALS.adminUser).execute();
    return false;
  }
  const company = await db
    .selectFrom('companies')
    .select('id')
    .where('id', '=', DEMO_COMPANY.id)
    .executeTakeFirst();
  if (!company) return false;
  const user = await db
    .selectFrom('admin_users')
    .select('username')
    .where('username', '=', DEMO_CREDENTIALS.adminUser)
    .executeTakeFirst();
  if (!user) await setAdminPassword(db, DEMO_CREDENTIALS.adminUser, DEMO_CREDENTIALS.adminPassword);
  const key = await db
    .selectFrom('api_keys')
    .select('id')
    .where('id', '=', DEMO_CREDENTIALS.apiKeyId)
    .executeTakeFirst();
  if (!key) {
    await db
      .insertInto('api_keys')
      .values({
        id: DEMO_CREDENTIALS.apiKeyId,
        company_id: DEMO_COMPANY.id,
        name: 'demo (development only)',
        key_hash: createHash('sha256').update(DEMO_CREDENTIALS.apiKey).digest('hex'),
        created_at: Date.now(),
        revoked_at: null,
      })
      .execute();
  }
  return true;
}
