/**
 * The `askproai` command: each subcommand lives in its own file under commands/ and is imported only
 * when it runs, so `serve` never loads the generators or the simulator, `--help` loads no command, and a
 * production install without dev dependencies runs every command that needs none of them.
 */
import { Command } from 'commander';
import { COMMANDS, type CommandEntry, type CommandModule } from './commands.ts';

/** The command the arguments select: the first non-option argument (after `help`), else `serve`. */
function selected(args: readonly string[]): CommandEntry | undefined {
  const words = args.filter((a) => !a.startsWith('-'));
  const name = words[0] === 'help' ? words[1] : words[0];
  if (name === undefined) {
    return args.some((a) => a === '-h' || a === '--help') || words[0] === 'help' ? undefined : COMMANDS[0];
  }
  return COMMANDS.find((c) => c.name === name);
}

/** `Cannot find package 'x'` when a command needs a package this install does not have. */
function missingPackage(err: unknown): string | undefined {
  const e = err as { code?: string; message?: string };
  if (e?.code !== 'ERR_MODULE_NOT_FOUND') return undefined;
  return /Cannot find package '([^']+)'/.exec(e.message ?? '')?.[1];
}

const program = new Command('askproai').description('AskProAI service and monitoring tools');
const chosen = selected(process.argv.slice(2));
for (const entry of COMMANDS) {
  if (entry !== chosen) {
    // Named for the help text only; the arguments select exactly one command, which is loaded below.
    program.command(entry.name).description(entry.summary);
    continue;
  }
  let command: CommandModule;
  try {
    command = await entry.load();
  } catch (err) {
    const pkg = missingPackage(err);
    if (!pkg) throw err;
    process.stderr.write(
      `askproai: ${entry.name} needs the package ${pkg}, which this installation does not have ` +
        '(it is a development dependency). Run it from a checkout of the repository after `npm install`.\n',
    );
    process.exit(1);
  }
  command.register(program);
}
await program.parseAsync(process.argv);
