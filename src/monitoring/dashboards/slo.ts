/**
 * "AskProAI SLO Error Budgets": per SLO (variable `slo`), the error budget left over the period, the
 * burn rate per window against the page and ticket thresholds, and the SLI error ratio. Reads only the
 * recording rules generated from the SLO specs (src/monitoring/slo).
 */

import { QueryVariableBuilder, VariableRefresh } from '@grafana/grafana-foundation-sdk/dashboard';
import * as units from '@grafana/grafana-foundation-sdk/units';
import type { Context } from '../context.ts';
import { sel } from '../promql.ts';
import { burnRateWindows, SLO_DASHBOARD_UID, sliErrorRecord, sloRecords } from '../slo/rules.ts';
import { sloSpecs } from '../slo/specs.ts';
import { dashboard, datasource, finish, stat, timeseries, uidFor } from './common.ts';

export const SLO_TITLE = 'AskProAI SLO Error Budgets';
if (uidFor(SLO_TITLE) !== SLO_DASHBOARD_UID)
  throw new Error('the SLO dashboard uid no longer matches its title');

export function sloDashboard(ctx: Context) {
  const slo = 'slo=~"$slo"';
  const spec = sloSpecs[0]!;
  const windows = burnRateWindows(ctx, spec);
  const b = dashboard(
    ctx,
    SLO_TITLE,
    `Error budget per SLO over ${spec.period}, burn rate per window (1 = spending exactly the budget), SLI error ratio.`,
  )
    .withVariable(
      new QueryVariableBuilder('slo')
        .label('SLO')
        .datasource(datasource(ctx))
        .query(`label_values(${sloRecords.objective}, slo)`)
        .definition(`label_values(${sloRecords.objective}, slo)`)
        .refresh(VariableRefresh.OnTimeRangeChanged)
        .multi(true)
        .includeAll(true)
        .allValue('.*'),
    )
    .withPanel(
      stat(ctx, {
        title: 'Error budget remaining',
        description: `Share of the ${spec.period} error budget not yet spent (below 0: the SLO is missed).`,
        unit: units.PercentUnit,
        queries: [{ expr: sel(sloRecords.budgetRemaining, slo), legend: '{{slo}} {{provider}}' }],
        steps: [
          [0, 'orange'],
          [0.25, 'green'],
        ],
        span: 12,
      }),
    )
    .withPanel(
      stat(ctx, {
        title: 'Objective',
        description: 'Share of good events each SLO promises.',
        unit: units.PercentUnit,
        queries: [{ expr: sel(sloRecords.objective, slo), legend: '{{slo}}' }],
        span: 12,
      }),
    )
    .withPanel(
      timeseries(ctx, {
        title: 'Burn rate per window',
        description: `Error ratio divided by the budget (${windows.map((w) => `${w.factor}x over ${w.long}/${w.short} ${w.severity}s`).join(', ')}).`,
        unit: units.Short,
        queries: ctx.config.slo.windows.map((w) => ({
          expr: `${sel(sliErrorRecord(w), slo)} / on (slo) group_left ${sel(sloRecords.errorBudget, slo)}`,
          legend: `{{slo}} {{provider}} ${w}`,
        })),
        steps: [
          [1, 'orange'],
          [windows[0]!.factor, 'red'],
        ],
        span: 24,
      }),
    )
    .withPanel(
      timeseries(ctx, {
        title: 'Error budget remaining over time',
        description: `Budget left of the rolling ${spec.period} period.`,
        unit: units.PercentUnit,
        queries: [{ expr: sel(sloRecords.budgetRemaining, slo), legend: '{{slo}} {{provider}}' }],
        span: 12,
      }),
    )
    .withPanel(
      timeseries(ctx, {
        title: 'SLI error ratio (5m)',
        description: 'Share of bad events over the shortest window.',
        unit: units.PercentUnit,
        queries: [
          { expr: sel(sliErrorRecord(ctx.config.slo.windows[0]!), slo), legend: '{{slo}} {{provider}}' },
        ],
        span: 12,
      }),
    );
  return finish(b);
}
