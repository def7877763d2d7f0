import type { Command } from 'commander';

export function register(program: Command): void {
  program
    .command('metrics:collect')
    .description('(not implemented yet)')
    .allowUnknownOption()
    .action(() => {
      process.stderr.write('metrics:collect is not implemented yet\n');
      process.exit(2);
    });
}
