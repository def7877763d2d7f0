/** The `askproai` subcommands: name, one line of help, and how to load the file that implements it. */
import type { Command } from 'commander';

export interface CommandModule {
  register(program: Command): void;
}

export interface CommandEntry {
  name: string;
  /** One line for `askproai --help`; the same as the command's own description (a test keeps them equal). */
  summary: string;
  load(): Promise<CommandModule>;
}

export const COMMANDS: readonly CommandEntry[] = [
  {
    name: 'serve',
    summary: 'run the AskProAI service: webhooks, bookings, admin pages and /api/metrics',
    load: () => import('./commands/serve.ts'),
  },
  {
    name: 'metrics:collect',
    summary: 'collect the system metrics now (queues, database, tenants, bookings today)',
    load: () => import('./commands/collect.ts'),
  },
  {
    name: 'metrics:status',
    summary: 'show the collection schedule, the last run and its result per collector',
    load: () => import('./commands/status.ts'),
  },
  {
    name: 'monitoring:doctor',
    summary: 'check Redis, the database, the scheduler, the metrics endpoint and Prometheus; say what to fix',
    load: () => import('./commands/doctor.ts'),
  },
  {
    name: 'monitoring:generate',
    summary: 'generate the observability stack (rules, dashboards, configs) from the metric catalog',
    load: () => import('./commands/generate.ts'),
  },
  {
    name: 'simulate',
    summary: 'send realistic signed webhook traffic and API calls to a running service',
    load: () => import('./commands/simulate.ts'),
  },
  {
    name: 'admin:create',
    summary: 'create an admin user for /admin (password from stdin; generated when stdin is a terminal)',
    load: () => import('./commands/admin-create.ts'),
  },
  {
    name: 'apikey:create',
    summary: 'create a per-tenant API key for /api/bookings, /api/calls and /api/companies (printed once)',
    load: () => import('./commands/apikey-create.ts'),
  },
];
