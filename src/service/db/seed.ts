/** Seeds the demo tenant on first start, so a signed sample webhook finds its company. */
import { DEMO_COMPANY } from '../demo.ts';
import type { ServiceDb } from './connect.ts';

/** Inserts the demo company and its Cal.com event type unless any company exists. Returns true when it seeded. */
export async function seedDemoTenant(db: ServiceDb, now: number = Date.now()): Promise<boolean> {
  const existing = await db.selectFrom('companies').select('id').limit(1).executeTakeFirst();
  if (existing) return false;
  try {
    await insertDemo(db, now);
  } catch (err) {
    // Two instances starting at once: the other one seeded first.
    const seeded = await db.selectFrom('companies').select('id').limit(1).executeTakeFirst();
    if (seeded) return false;
    throw err;
  }
  return true;
}

async function insertDemo(db: ServiceDb, now: number): Promise<void> {
  await db.transaction().execute(async (trx) => {
    await trx
      .insertInto('companies')
      .values({
        id: DEMO_COMPANY.id,
        name: DEMO_COMPANY.name,
        is_active: 1,
        phone_number: DEMO_COMPANY.phoneNumber,
        retell_agent_id: DEMO_COMPANY.retellAgentId,
        created_at: now,
      })
      .execute();
    await trx
      .insertInto('calcom_event_types')
      .values({
        event_type_id: DEMO_COMPANY.calcomEventTypeId,
        company_id: DEMO_COMPANY.id,
        slug: DEMO_COMPANY.calcomEventTypeSlug,
      })
      .execute();
  });
}
