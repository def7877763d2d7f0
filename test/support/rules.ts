// The generated rule files shortened for a live run measured in seconds: rate windows and `for:` in the
// generated rules are minutes (and the SLO windows hours and days), which a test cannot wait for.
import { readFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { parse, stringify } from 'yaml';
import { DEMO_ENDPOINTS } from '../../src/monitoring/config.ts';

const ROOT = resolve(import.meta.dirname, '../..');

export interface GeneratedRule {
  alert?: string;
  record?: string;
  expr: string;
  for?: string;
  labels?: Record<string, string>;
}
export interface RuleFile {
  groups: { name: string; rules: GeneratedRule[] }[];
}

export interface FastRuleOptions {
  /** Every rate window of minutes becomes this (default 5s). */
  window?: string;
  /** Every `for:` becomes this (default 1s). */
  for?: string;
  /**
   * Also shorten windows of hours, days and weeks (the SLO windows), `offset` of minutes, and never
   * `offset` of weeks (the week-over-week alerts stay silent on a fresh Prometheus). Default false.
   */
  allWindows?: boolean;
  /**
   * Let the demo routes back into the rules (the generated rules ignore them so nobody may page through
   * them in production; a test that makes the API slow with the demo slow route needs them). Default false.
   */
  demoRoutes?: boolean;
}

/** The generated rule file at `path` (relative to the repository) shortened, parsed. */
export async function fastRuleFile(path: string, options: FastRuleOptions = {}): Promise<RuleFile> {
  const window = options.window ?? '5s';
  const file = parse(await readFile(join(ROOT, path), 'utf8')) as RuleFile;
  const ignored = `endpoint!~"${['unmatched', ...DEMO_ENDPOINTS].join('|')}"`;
  const ranges = options.allWindows ? /\[\d+[mhdw]\]/g : /\[\d+m\]/g;
  for (const group of file.groups) {
    for (const rule of group.rules) {
      if (options.demoRoutes) rule.expr = rule.expr.replaceAll(ignored, 'endpoint!="unmatched"');
      rule.expr = rule.expr.replace(ranges, `[${window}]`);
      if (options.allWindows) rule.expr = rule.expr.replace(/offset \d+m\b/g, `offset ${window}`);
      if (rule.for !== undefined) rule.for = options.for ?? '1s';
    }
  }
  return file;
}

/** The generated rule file at `path` shortened, as YAML for Prometheus. */
export async function fastRules(path: string, options: FastRuleOptions = {}): Promise<string> {
  return stringify(await fastRuleFile(path, options));
}
