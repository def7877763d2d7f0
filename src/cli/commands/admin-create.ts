/**
 * `askproai admin:create <username>`: creates an admin user (or sets a new password) in the service
 * database (DATABASE_URL). The password is read from standard input, never from the command line
 * (where `ps` would show it); from a terminal a strong one is generated and printed once.
 */
import { randomBytes } from 'node:crypto';
import type { Command } from 'commander';
import { setAdminPassword } from '../../service/auth/credentials.ts';
import { openDatabase } from '../../service/db/connect.ts';
import { configOrExit } from '../config.ts';

async function readStdin(): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8').split(/\r?\n/, 1)[0] ?? '';
}

export function register(program: Command): void {
  program
    .command('admin:create')
    .description('create an admin user for /admin (password from stdin; generated when stdin is a terminal)')
    .argument('<username>', 'letters, digits, . _ @ or -')
    .action(async (username: string) => {
      const config = configOrExit();
      const generated = process.stdin.isTTY ? randomBytes(18).toString('base64url') : undefined;
      const password = generated ?? (await readStdin());
      const database = await openDatabase(config.databaseUrl, { seed: false });
      try {
        await setAdminPassword(database.db, username, password);
      } catch (err) {
        process.stderr.write(`askproai: ${(err as Error).message}\n`);
        process.exitCode = 1;
        return;
      } finally {
        await database.close();
      }
      process.stdout.write(`Admin user ${username} saved in ${database.description}.\n`);
      if (generated) process.stdout.write(`Password (shown once): ${generated}\n`);
    });
}
