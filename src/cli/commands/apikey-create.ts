/**
 * `askproai apikey:create <companyId> [name]`: creates an API key for one tenant in the service
 * database (DATABASE_URL) and prints it once; only its SHA-256 is stored. The key sees and changes only
 * that tenant's bookings, calls and company.
 */
import type { Command } from 'commander';
import { createApiKey } from '../../service/auth/credentials.ts';
import { openDatabase } from '../../service/db/connect.ts';
import { configOrExit } from '../config.ts';

export function register(program: Command): void {
  program
    .command('apikey:create')
    .description(
      'create a per-tenant API key for /api/bookings, /api/calls and /api/companies (printed once)',
    )
    .argument('<companyId>', 'the tenant, e.g. cmp_demo')
    .argument('[name]', 'what the key is for', 'api client')
    .action(async (companyId: string, name: string) => {
      const config = configOrExit();
      const database = await openDatabase(config.databaseUrl, { seed: false });
      try {
        const created = await createApiKey(database.db, companyId, name);
        process.stdout.write(
          `API key ${created.id} for ${companyId} (shown once; send it as Authorization: Bearer <key>):\n${created.key}\n`,
        );
      } catch (err) {
        process.stderr.write(`askproai: ${(err as Error).message}\n`);
        process.exitCode = 1;
      } finally {
        await database.close();
      }
    });
}
