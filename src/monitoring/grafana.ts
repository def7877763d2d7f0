/** Grafana provisioning: the three datasources and the folder the generated dashboards load from. */
import type { Context } from './context.ts';
import type { WebServer } from './webauth.ts';

/** Where the compose file mounts observability/grafana/dashboards. */
export const DASHBOARDS_DIR = '/etc/grafana/dashboards';

/**
 * Basic auth of a datasource: the user, and the password read by Grafana from the same secret file
 * the server's hash is made from (`$__file{}`: the provisioning file holds no password).
 */
export function datasourceAuth(ctx: Context, server: WebServer): Record<string, unknown> {
  const { user, passwordFile } = ctx.config.webAuth[server];
  return {
    basicAuth: true,
    basicAuthUser: user,
    secureJsonData: { basicAuthPassword: `$__file{${passwordFile}}` },
  };
}

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
        ...datasourceAuth(ctx, 'prometheus'),
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
        ...datasourceAuth(ctx, 'alertmanager'),
        editable: false,
        jsonData: { implementation: 'prometheus', handleGrafanaManagedAlerts: false },
      },
    ],
  };
}
