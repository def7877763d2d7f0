/** The `askproai` command: each subcommand lives in its own file under commands/. */
import { Command } from 'commander';
import * as adminCreate from './commands/admin-create.ts';
import * as apikeyCreate from './commands/apikey-create.ts';
import * as collect from './commands/collect.ts';
import * as doctor from './commands/doctor.ts';
import * as generate from './commands/generate.ts';
import * as serve from './commands/serve.ts';
import * as simulate from './commands/simulate.ts';
import * as status from './commands/status.ts';

const program = new Command('askproai').description('AskProAI service and monitoring tools');
for (const command of [serve, collect, status, doctor, generate, simulate, adminCreate, apikeyCreate])
  command.register(program);
await program.parseAsync(process.argv);
