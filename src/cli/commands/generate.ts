import type { Command } from 'commander';

export function register(program: Command): void {
  program
    .command('monitoring:generate')
    .description('(not implemented yet)')
    .allowUnknownOption()
    .action(() => {
      process.stderr.write('monitoring:generate is not implemented yet\n');
      process.exit(2);
    });
}
