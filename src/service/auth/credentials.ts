/**
 * Admin passwords (scrypt, a fresh salt each) and per-tenant API keys (only a SHA-256 of the key is
 * stored: keys are 32 random bytes, so a fast hash is enough). Every comparison is constant-time, and
 * an unknown user costs the same scrypt work as a known one.
 */
import { createHash, randomBytes, scrypt, timingSafeEqual } from 'node:crypto';
import type { ServiceDb } from '../db/connect.ts';

const N = 16_384;
const R = 8;
const P = 1;
const KEY_LENGTH = 32;
export const MIN_PASSWORD_LENGTH = 12;
const USERNAME = /^[A-Za-z0-9._@-]{1,64}$/;

function scryptAsync(password: string, salt: Buffer, n: number, r: number, p: number): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    scrypt(password, salt, KEY_LENGTH, { N: n, r, p, maxmem: 64 * 1024 * 1024 }, (err, key) =>
      err ? reject(err) : resolve(key),
    );
  });
}

export async function hashPassword(password: string): Promise<string> {
  const salt = randomBytes(16);
  const key = await scryptAsync(password, salt, N, R, P);
  return `scrypt$${N}$${R}$${P}$${salt.toString('base64')}$${key.toString('base64')}`;
}

/** Checks a password against a stored hash in constant time; false for a malformed hash. */
export async function verifyPassword(password: string, stored: string): Promise<boolean> {
  const parts = stored.split('$');
  if (parts.length !== 6 || parts[0] !== 'scrypt') return false;
  const [n, r, p] = parts.slice(1, 4).map(Number) as [number, number, number];
  const salt = Buffer.from(parts[4]!, 'base64');
  const expected = Buffer.from(parts[5]!, 'base64');
  const actual = await scryptAsync(password, salt, n, r, p);
  return actual.length === expected.length && timingSafeEqual(actual, expected);
}

// Verified against when the user does not exist, so the answer takes as long as for a real one.
let dummyHash: Promise<string> | undefined;

export function validUsername(username: string): boolean {
  return USERNAME.test(username);
}

/** Creates or replaces an admin user. Throws with a clear message for a weak password or bad name. */
export async function setAdminPassword(db: ServiceDb, username: string, password: string, now = Date.now()) {
  if (!validUsername(username)) throw new Error('username: 1-64 letters, digits, . _ @ or -');
  if (password.length < MIN_PASSWORD_LENGTH)
    throw new Error(`password: at least ${MIN_PASSWORD_LENGTH} characters`);
  const password_hash = await hashPassword(password);
  const existing = await db
    .selectFrom('admin_users')
    .select('username')
    .where('username', '=', username)
    .executeTakeFirst();
  if (existing) {
    await db.updateTable('admin_users').set({ password_hash }).where('username', '=', username).execute();
  } else {
    await db.insertInto('admin_users').values({ username, password_hash, created_at: now }).execute();
  }
}

/** The user name when the credentials are right, else null (same work either way). */
export async function checkAdminLogin(
  db: ServiceDb,
  username: string,
  password: string,
): Promise<string | null> {
  const row = validUsername(username)
    ? await db
        .selectFrom('admin_users')
        .select(['username', 'password_hash'])
        .where('username', '=', username)
        .executeTakeFirst()
    : undefined;
  dummyHash ??= hashPassword(randomBytes(16).toString('hex'));
  const ok = await verifyPassword(password.slice(0, 1024), row?.password_hash ?? (await dummyHash));
  return ok && row ? row.username : null;
}

const KEY_FORMAT = /^askp_([0-9a-f]{16})_([A-Za-z0-9_-]{43})$/;

const sha256 = (s: string) => createHash('sha256').update(s).digest();

export interface CreatedKey {
  id: string;
  /** Shown once; only its hash is stored. */
  key: string;
}

/** Creates an API key for one tenant. */
export async function createApiKey(
  db: ServiceDb,
  companyId: string,
  name: string,
  now = Date.now(),
): Promise<CreatedKey> {
  const company = await db
    .selectFrom('companies')
    .select('id')
    .where('id', '=', companyId)
    .executeTakeFirst();
  if (!company) throw new Error(`company ${companyId} does not exist`);
  const id = randomBytes(8).toString('hex');
  const key = `askp_${id}_${randomBytes(32).toString('base64url')}`;
  await db
    .insertInto('api_keys')
    .values({
      id,
      company_id: companyId,
      name: name.slice(0, 100),
      key_hash: sha256(key).toString('hex'),
      created_at: now,
      revoked_at: null,
    })
    .execute();
  return { id, key };
}

/** The tenant of a presented key, or null (unknown, revoked, malformed or wrong). */
export async function tenantOfApiKey(db: ServiceDb, presented: string): Promise<string | null> {
  const m = KEY_FORMAT.exec(presented);
  if (!m) return null;
  const row = await db
    .selectFrom('api_keys')
    .select(['company_id', 'key_hash', 'revoked_at'])
    .where('id', '=', m[1]!)
    .executeTakeFirst();
  if (!row || row.revoked_at !== null) return null;
  const expected = Buffer.from(row.key_hash, 'hex');
  const actual = sha256(presented);
  return expected.length === actual.length && timingSafeEqual(expected, actual) ? row.company_id : null;
}
