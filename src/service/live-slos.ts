/**
 * The alerting's SLO specs (src/monitoring/slo/specs.ts) as live-view SLOs: PromQL label matchers
 * (`status=~"5.."`, `endpoint!~"unmatched|/api/fail"`) become the view's matchers, a histogram bucket
 * becomes `le`. SLOs evaluated per label (`by: ['provider']`) are shown as one overall budget.
 */
import type { LabelMatch, LiveSlo, SloSelector } from '../metrics/live/index.ts';
import type { EventSelector, SloSpec } from '../monitoring/slo/specs.ts';

const MATCHER = /^([a-zA-Z_][a-zA-Z0-9_]*)\s*(=~|!~|!=|=)\s*("(?:[^"\\]|\\.)*")$/;

function selector(e: EventSelector, where: string): SloSelector {
  const labels: Record<string, LabelMatch> = {};
  for (const m of e.matchers) {
    const parsed = MATCHER.exec(m.trim());
    if (parsed === null) throw new TypeError(`${where}: cannot read the label matcher ${m}`);
    const [, label, op, quoted] = parsed;
    if (labels[label!] !== undefined) throw new TypeError(`${where}: two matchers on label ${label}`);
    const value = JSON.parse(quoted!) as string;
    const match: LabelMatch = op === '=' || op === '!=' ? value : { pattern: value };
    labels[label!] = op!.startsWith('!') ? { not: match } : match;
  }
  return {
    metric: e.metric.name,
    labels,
    ...(e.series?.kind === 'bucket' ? { le: e.series.le } : {}),
  };
}

export function liveSlosFromSpecs(specs: readonly SloSpec[]): LiveSlo[] {
  return specs.map((spec) => {
    const where = `SLO "${spec.name}"`;
    const sli = spec.sli;
    return {
      name: spec.name,
      description: spec.description,
      objective: spec.objective,
      total: selector(sli.total, `${where} total`),
      ...('good' in sli
        ? { good: selector(sli.good, `${where} good`) }
        : { bad: selector(sli.bad, `${where} bad`) }),
    };
  });
}
