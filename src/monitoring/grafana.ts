/** Grafana provisioning: the three datasources and the folder the generated dashboards load from. */
import type { Context } from './context.ts';

/** Where the compose file mounts observability/grafana/dashboards. */
export const DASHBOARDS_DIR = '/etc/grafana/dashboards';

export function grafanaDatasources(ctx: Context): Record<string, unknown> {
  const d = ctx.config.dashboards;
  return {
    apiVersion: 1,
    datasources: [
      {
        name: 'Prometheus',
        uid: d.prometheusUid,
        type: 'prometheus',
        access: 'proxy',
        url: 'http://prometheus:9090',
        isDefault: true,
        editable: false,
        // Lets $__rate_interval cover at least four scrapes.
        jsonData: {
          timeInterval: ctx.config.intervals.scrape,
          httpMethod: 'POST',
          // Exemplars on the latency panels link to their trace.
          exemplarTraceIdDestinations: [{ name: 'trace_id', url: d.traceUrl }],
        },
      },
      {
        name: 'Loki',
        uid: d.lokiUid,
        type: 'loki',
        access: 'proxy',
        url: 'http://loki:3100',
        editable: false,
      },
      {
        name: 'Alertmanager',
        uid: d.alertmanagerUid,
        type: 'alertmanager',
        access: 'proxy',
        url: 'http://alertmanager:9093',
        editable: false,
        jsonData: { implementation: 'prometheus', handleGrafanaManagedAlerts: false },
      },
    ],
  };
}
