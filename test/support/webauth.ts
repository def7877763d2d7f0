// Basic auth for Prometheus and Alertmanager as the docs describe it: the password comes from a secret
// file, the daemon gets `--web.config.file` with only its bcrypt hash (made with bcryptjs, cost 10).
import { randomBytes } from 'node:crypto';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import bcrypt from 'bcryptjs';
import { stringify } from 'yaml';

export interface BasicAuth {
  user: string;
  /** Default: 24 random bytes, written to `<dir>/web_password` as a secret file would hold it. */
  password?: string;
  /**
   * An existing `--web.config.file` (e.g. the one observability/web-config/render.sh wrote) instead of
   * one made here; `password` must be the one its hash was made from.
   */
  webConfigFile?: string;
}

export interface WebConfig {
  /** The `--web.config.file`. */
  file: string;
  /** The secret file holding the password (for `basic_auth.password_file` of a client). */
  passwordFile: string;
  user: string;
  headers: Record<string, string>;
}

export async function writeWebConfig(dir: string, auth: BasicAuth): Promise<WebConfig> {
  const password = auth.password ?? randomBytes(24).toString('hex');
  const passwordFile = join(dir, 'web_password');
  await writeFile(passwordFile, password, { mode: 0o600 });
  if (auth.webConfigFile !== undefined && auth.password === undefined)
    throw new Error('basicAuth.webConfigFile needs the password its hash was made from');
  const file = auth.webConfigFile ?? join(dir, 'web.yml');
  if (auth.webConfigFile === undefined) {
    const hash = await bcrypt.hash(password, 10);
    await writeFile(file, stringify({ basic_auth_users: { [auth.user]: hash } }), { mode: 0o600 });
  }
  return {
    file,
    passwordFile,
    user: auth.user,
    headers: { authorization: `Basic ${Buffer.from(`${auth.user}:${password}`).toString('base64')}` },
  };
}
