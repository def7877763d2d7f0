/**
 * The dashboard JSON model Grafana loads, as a zod schema derived from the types of
 * @grafana/grafana-foundation-sdk (dashboard/types.gen.d.ts): the fields the SDK emits, their types,
 * the panel plugins we use, and the grid. `schemaVersion` must be the one the pinned Grafana writes
 * itself, so it loads the dashboards without migrating them.
 */
import { z } from 'zod';

/** Grafana release → the dashboard schemaVersion it writes (its LATEST_VERSION). */
export const GRAFANA_SCHEMA_VERSIONS: Record<string, number> = {
  '10.4.2': 39,
  '11.6.0': 41,
  '12.1.1': 42,
};

const datasourceRef = z.object({ type: z.string().optional(), uid: z.string().optional() });

const gridPos = z
  .object({
    x: z.number().int().min(0),
    y: z.number().int().min(0),
    w: z.number().int().min(1),
    h: z.number().int().min(1),
  })
  .refine((g) => g.x + g.w <= 24, { message: 'panel leaves the 24-column grid' });

const target = z.object({
  refId: z.string().regex(/^[A-Z]+$/),
  expr: z.string().min(1),
  datasource: datasourceRef,
  legendFormat: z.string().optional(),
  range: z.boolean().optional(),
  instant: z.boolean().optional(),
});

const fieldConfig = z.object({
  defaults: z.object({ unit: z.string().min(1) }).passthrough(),
  overrides: z.array(z.unknown()),
});

const panel = z.discriminatedUnion('type', [
  z
    .object({
      type: z.literal('row'),
      id: z.number().int(),
      title: z.string(),
      gridPos,
      collapsed: z.boolean(),
      panels: z.array(z.unknown()),
    })
    .passthrough(),
  ...(['timeseries', 'stat', 'gauge', 'table', 'bargauge', 'piechart'] as const).map((type) =>
    z
      .object({
        type: z.literal(type),
        id: z.number().int().min(1),
        title: z.string().min(1),
        description: z.string().optional(),
        gridPos,
        datasource: datasourceRef,
        targets: z.array(target).min(1),
        fieldConfig,
        options: z.record(z.string(), z.unknown()).optional(),
        transparent: z.boolean().optional(),
      })
      .passthrough(),
  ),
]);

const variable = z
  .object({
    type: z.enum(['query', 'custom', 'constant', 'datasource', 'interval', 'textbox', 'adhoc']),
    name: z.string().regex(/^[a-zA-Z_][a-zA-Z0-9_]*$/),
    label: z.string().optional(),
    query: z.unknown().optional(),
    datasource: datasourceRef.optional(),
    multi: z.boolean().optional(),
    includeAll: z.boolean().optional(),
  })
  .passthrough();

const annotation = z
  .object({
    name: z.string().min(1),
    datasource: datasourceRef,
    enable: z.boolean(),
    iconColor: z.string(),
    expr: z.string().optional(),
  })
  .passthrough();

const link = z
  .object({
    title: z.string(),
    type: z.enum(['link', 'dashboards']),
    tags: z.array(z.string()),
    asDropdown: z.boolean(),
    includeVars: z.boolean(),
    keepTime: z.boolean(),
  })
  .passthrough();

/** The schema of a dashboard for a Grafana whose schemaVersion is `version`. */
export function dashboardSchema(version: number) {
  return z
    .object({
      title: z.string().min(1),
      uid: z.string().regex(/^[a-zA-Z0-9_-]{1,40}$/),
      description: z.string().optional(),
      schemaVersion: z.literal(version),
      editable: z.boolean(),
      graphTooltip: z.union([z.literal(0), z.literal(1), z.literal(2)]),
      tags: z.array(z.string()),
      timezone: z.string(),
      refresh: z.string(),
      time: z.object({ from: z.string(), to: z.string() }),
      templating: z.object({ list: z.array(variable).optional() }),
      annotations: z.object({ list: z.array(annotation) }),
      links: z.array(link),
      panels: z.array(panel),
    })
    .passthrough();
}
