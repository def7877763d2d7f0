import type { Command } from 'commander';

export function register(program: Command): void {
  program
    .command('simulate')
    .description('(not implemented yet)')
    .allowUnknownOption()
    .action(() => {
      process.stderr.write('simulate is not implemented yet\n');
      process.exit(2);
    });
}
