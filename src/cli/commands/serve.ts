import type { Command } from 'commander';
import { ConfigError, loadConfig } from '../../config.ts';
import { createMetrics } from '../../metrics/setup.ts';
import { buildApp } from '../../service/app.ts';

export function register(program: Command): void {
  program
    .command('serve', { isDefault: true })
    .description('run the AskProAI service with /api/metrics')
    .action(async () => {
      let config: ReturnType<typeof loadConfig>;
      try {
        config = loadConfig();
      } catch (err) {
        if (err instanceof ConfigError) {
          process.stderr.write(`askproai: ${err.message}\n`);
          process.exit(1);
        }
        throw err;
      }
      const metrics = createMetrics(config);
      const app = await buildApp({ config, metrics });
      const address = await app.listen({ port: config.port, host: config.host });
      const base = address.replace('0.0.0.0', 'localhost');
      process.stderr.write(`AskProAI service listening on ${base}\n`);
      if (config.metrics.enabled) {
        process.stderr.write(`Metrics: ${base}${config.metrics.path} (Authorization: Bearer <METRICS_AUTH_TOKEN>)\n`);
        if (config.metrics.tokenGenerated) {
          // Development only: production refuses to start without a configured token.
          process.stderr.write(
            `METRICS_AUTH_TOKEN is not set; generated one for this run: ${config.metrics.tokens[0]}\n`,
          );
        }
      } else {
        process.stderr.write('Metrics are disabled (METRICS_ENABLED=false)\n');
      }
      const shutdown = async () => {
        await app.close();
        metrics.close();
        process.exit(0);
      };
      process.once('SIGTERM', shutdown);
      process.once('SIGINT', shutdown);
    });
}
