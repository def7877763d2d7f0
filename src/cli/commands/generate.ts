/**
 * `askproai monitoring:generate`: writes the observability stack's generated files (Prometheus
 * config and rules, Alertmanager routing and templates, Grafana provisioning and dashboards, Loki
 * and Promtail config, docs/capacity.md). `--check` writes nothing and exits 1 listing stale files.
 */
import { rm } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import type { Command } from 'commander';
import { checkFiles, generateFiles, writeFiles } from '../../monitoring/generate.ts';

export function register(program: Command): void {
  program
    .command('monitoring:generate')
    .description('generate the observability stack (rules, dashboards, configs) from the metric catalog')
    .option('--check', 'write nothing; exit 1 and list the files that are stale')
    .option('--root <dir>', 'repository root to write into', '.')
    .action(async (options: { check?: boolean; root: string }) => {
      const root = resolve(options.root);
      const files = generateFiles();
      if (options.check) {
        const { stale, orphaned } = await checkFiles(root, files);
        if (stale.length === 0 && orphaned.length === 0) {
          process.stdout.write(`All ${files.size} generated files are up to date.\n`);
          return;
        }
        for (const path of stale) process.stderr.write(`stale: ${path}\n`);
        for (const path of orphaned) process.stderr.write(`not generated any more: ${path}\n`);
        process.stderr.write('Run `npm run monitoring:generate` and commit the result.\n');
        process.exitCode = 1;
        return;
      }
      const changed = await writeFiles(root, files);
      const { orphaned } = await checkFiles(root, files);
      for (const path of orphaned) await rm(join(root, path));
      for (const path of changed) process.stdout.write(`wrote ${path}\n`);
      for (const path of orphaned) process.stdout.write(`removed ${path}\n`);
      process.stdout.write(`${files.size} files, ${changed.length} changed.\n`);
    });
}
