/**
 * @fastify/session's store on the service database, so sessions survive a restart, are shared by every
 * instance, and logout really ends them. Expired rows are ignored on read and removed on write.
 */
import type { SessionStore } from '@fastify/session';
import type { Session } from 'fastify';
import type { ServiceDb } from '../db/connect.ts';

type SessionData = { cookie?: { expires?: string | Date | null } };

export const SESSION_MAX_AGE_MS = 8 * 60 * 60 * 1000;

export function databaseSessionStore(db: ServiceDb, now: () => number = Date.now): SessionStore {
  const expiryOf = (session: SessionData): number => {
    const e = session.cookie?.expires;
    const t = e ? new Date(e).getTime() : Number.NaN;
    return Number.isFinite(t) ? t : now() + SESSION_MAX_AGE_MS;
  };
  return {
    set(sid, session, callback) {
      const row = { sid, data: JSON.stringify(session), expires_at: expiryOf(session as SessionData) };
      db.transaction()
        .execute(async (trx) => {
          await trx.deleteFrom('admin_sessions').where('expires_at', '<', now()).execute();
          await trx.deleteFrom('admin_sessions').where('sid', '=', sid).execute();
          await trx.insertInto('admin_sessions').values(row).execute();
        })
        .then(
          () => callback(),
          (err: unknown) => callback(err),
        );
    },
    get(sid, callback) {
      db.selectFrom('admin_sessions')
        .select(['data', 'expires_at'])
        .where('sid', '=', sid)
        .executeTakeFirst()
        .then(
          (row) => {
            if (!row || Number(row.expires_at) <= now()) return callback(undefined, null);
            callback(undefined, JSON.parse(row.data) as Session);
          },
          (err: unknown) => callback(err),
        );
    },
    destroy(sid, callback) {
      db.deleteFrom('admin_sessions')
        .where('sid', '=', sid)
        .execute()
        .then(
          () => callback(),
          (err: unknown) => callback(err),
        );
    },
  };
}
