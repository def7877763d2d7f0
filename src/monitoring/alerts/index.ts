/** Every alert rule, grouped by component. */
import type { Context } from '../context.ts';
import { type AlertDef, type AlertRule, type RuleGroup, toRule } from './alert.ts';
import { apiAlerts } from './api.ts';
import { businessAlerts } from './business.ts';
import { databaseAlerts } from './database.ts';
import { monitoringAlerts } from './monitoring.ts';
import { queueAlerts } from './queue.ts';
import { remoteWriteAlerts } from './remote-write.ts';
import { systemAlerts } from './system.ts';

const components: [string, (ctx: Context) => AlertDef[]][] = [
  ['askproai.api', apiAlerts],
  ['askproai.business', businessAlerts],
  ['askproai.database', databaseAlerts],
  ['askproai.queue', queueAlerts],
  ['host', systemAlerts],
  ['monitoring', monitoringAlerts],
  ['prometheus.remote-write', remoteWriteAlerts],
];

/** The alert rule groups, one per component, each rule with its runbook_url. */
export function alertGroups(ctx: Context): RuleGroup<AlertRule>[] {
  return components.map(([name, build]) => ({ name, rules: build(ctx).map((def) => toRule(ctx, def)) }));
}

/** Distinct alert names, in rule order (the runbook needs one heading each). */
export function alertNames(ctx: Context): string[] {
  return [...new Set(alertGroups(ctx).flatMap((g) => g.rules.map((r) => r.alert)))];
}
