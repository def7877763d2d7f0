/**
 * Kubernetes manifests for the Prometheus operator (deploy/kubernetes/), built as typed objects from
 * `kubernetes-models` and `@kubernetes-models/prometheus-operator` (each validated against its
 * published schema before it is written): the service's Deployment and Service, a ServiceMonitor with
 * the bearer token from a Secret, a PrometheusRule carrying exactly the generated rule groups, the
 * Grafana dashboards as ConfigMaps for the Grafana sidecar, the Alertmanager configuration as a
 * Secret, an HA Prometheus (two replicas, remote write) and Alertmanager (two members),
 * NetworkPolicies that let only the stack and Grafana reach Prometheus and Alertmanager (neither has
 * basic auth here), and a kustomization tying them together.
 */
import { Alertmanager } from '@kubernetes-models/prometheus-operator/monitoring.coreos.com/v1/Alertmanager';
import { Prometheus } from '@kubernetes-models/prometheus-operator/monitoring.coreos.com/v1/Prometheus';
import { PrometheusRule } from '@kubernetes-models/prometheus-operator/monitoring.coreos.com/v1/PrometheusRule';
import { ServiceMonitor } from '@kubernetes-models/prometheus-operator/monitoring.coreos.com/v1/ServiceMonitor';
import { Deployment } from 'kubernetes-models/apps/v1';
import { NetworkPolicy } from 'kubernetes-models/networking.k8s.io/v1';
import { Role, RoleBinding } from 'kubernetes-models/rbac.authorization.k8s.io/v1';
import { ConfigMap, Namespace, Secret, Service, ServiceAccount } from 'kubernetes-models/v1';
import { stringify } from 'yaml';
import { alertmanagerConfig, alertmanagerTemplates, TEMPLATE_FILE, TEMPLATES_DIR } from '../alertmanager.ts';
import type { Context } from '../context.ts';
import { droppedSeries, localRetention, queueSizing, REMOTE_NAME } from '../ha.ts';

/** What every object can do: check itself against its schema and become plain JSON. */
export interface Manifest {
  apiVersion: string;
  kind: string;
  metadata?: { name?: string; namespace?: string; labels?: Record<string, string> };
  validate(): void;
  toJSON(): unknown;
}

/** A rule group as the rule files hold it. */
export interface RuleGroupFile {
  name: string;
  interval?: string;
  rules: Record<string, unknown>[];
}

export interface KubernetesInputs {
  /** Every rule group of the compose stack's rule files, in file order. */
  ruleGroups: RuleGroupFile[];
  /** Dashboard file name → JSON text, as the compose stack's Grafana loads them. */
  dashboards: Record<string, string>;
  /** Every expression of those rules (for the replicas' local retention). */
  ruleExprs: string[];
}

/** The files of deploy/kubernetes, each a list of objects. */
export type ManifestFiles = Record<string, Manifest[]>;

const ALERTMANAGER_NAME = 'askproai';
const PROMETHEUS_NAME = 'askproai';
/** Where the operator mounts `spec.secrets` of the Alertmanager resource. */
const amSecretsDir = (secret: string) => `/etc/alertmanager/secrets/${secret}`;
/** Where the operator mounts the configuration Secret (templates included). */
const AM_CONFIG_DIR = '/etc/alertmanager/config';

/** Replaces `from` at the start of every string value (file paths in the Alertmanager config). */
function rewritePaths(value: unknown, from: string, to: string): unknown {
  if (typeof value === 'string') return value.startsWith(from) ? to + value.slice(from.length) : value;
  if (Array.isArray(value)) return value.map((v) => rewritePaths(v, from, to));
  if (value !== null && typeof value === 'object')
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, rewritePaths(v, from, to)]));
  return value;
}

export function kubernetesManifests(ctx: Context, inputs: KubernetesInputs): ManifestFiles {
  const { config } = ctx;
  const k = config.kubernetes;
  const ns = k.namespace;
  const app = config.jobs.service;
  const labels = { 'app.kubernetes.io/name': app, ...k.selectorLabel };
  const meta = (name: string, extra: Record<string, string> = {}) => ({
    name,
    namespace: ns,
    labels: { ...labels, ...extra },
  });
  const selector = { 'app.kubernetes.io/name': app };

  const deployment = new Deployment({
    metadata: meta(app),
    spec: {
      replicas: config.capacity.instances,
      selector: { matchLabels: selector },
      template: {
        metadata: { labels },
        spec: {
          securityContext: { runAsNonRoot: true, runAsUser: 1000, fsGroup: 1000 },
          containers: [
            {
              name: app,
              image: k.image,
              ports: [{ name: 'http', containerPort: k.containerPort }],
              env: [
                { name: 'NODE_ENV', value: 'production' },
                { name: 'HOST', value: '0.0.0.0' },
                { name: 'PORT', value: String(k.containerPort) },
                { name: 'METRICS_PATH', value: config.targets.metricsPath },
                {
                  name: 'METRICS_AUTH_TOKEN',
                  valueFrom: { secretKeyRef: { name: k.tokenSecret, key: 'token' } },
                },
              ],
              // DATABASE_URL, REDIS_URL, webhook secrets, SENTRY_DSN ...: one Secret, created by the operator.
              envFrom: [{ secretRef: { name: `${app}-env`, optional: true } }],
              readinessProbe: { httpGet: { path: '/api/health', port: 'http' }, periodSeconds: 10 },
              livenessProbe: {
                httpGet: { path: '/api/health', port: 'http' },
                periodSeconds: 20,
                failureThreshold: 3,
              },
              resources: {
                requests: { cpu: '100m', memory: '192Mi' },
                limits: { memory: '512Mi' },
              },
              securityContext: { allowPrivilegeEscalation: false, capabilities: { drop: ['ALL'] } },
            },
          ],
        },
      },
    },
  });

  const service = new Service({
    metadata: meta(app),
    spec: { selector, ports: [{ name: 'http', port: k.containerPort, targetPort: 'http' }] },
  });

  // The job label is the Service's name (`askproai`), the job every generated rule selects.
  const serviceMonitor = new ServiceMonitor({
    metadata: meta(app),
    spec: {
      selector: { matchLabels: selector },
      namespaceSelector: { matchNames: [ns] },
      endpoints: [
        {
          port: 'http',
          path: config.targets.metricsPath,
          interval: config.intervals.scrape,
          scrapeTimeout: config.intervals.scrapeTimeout,
          bearerTokenSecret: { name: k.tokenSecret, key: 'token' },
        },
      ],
    },
  });

  // Prometheus and Alertmanager watch themselves under the job names the generated rules select
  // (config reloads, remote write); the operator's governing Services carry these labels.
  const stackMonitor = (job: string, operated: string) =>
    new ServiceMonitor({
      metadata: meta(job),
      spec: {
        selector: { matchLabels: { [`operated-${operated}`]: 'true' } },
        namespaceSelector: { matchNames: [ns] },
        endpoints: [
          {
            port: 'web',
            interval: config.intervals.scrape,
            relabelings: [{ targetLabel: 'job', replacement: job, action: 'replace' }],
          },
        ],
      },
    });

  const rule = new PrometheusRule({
    metadata: meta(`${app}-rules`),
    spec: { groups: inputs.ruleGroups as never },
  });

  const dashboards = Object.entries(inputs.dashboards).map(
    ([file, json]) =>
      new ConfigMap({
        metadata: meta(`grafana-dashboard-${file.replace(/\.json$/, '')}`, k.grafanaDashboardLabel),
        data: { [file]: json },
      }),
  );

  // The generated routing, its secret files read from the Secret the operator mounts.
  const amYaml = rewritePaths(
    rewritePaths(alertmanagerConfig(ctx), '/run/secrets/', `${amSecretsDir(k.alertmanagerSecret)}/`),
    TEMPLATES_DIR,
    AM_CONFIG_DIR,
  );
  const alertmanagerSecret = new Secret({
    metadata: meta(`alertmanager-${ALERTMANAGER_NAME}`),
    type: 'Opaque',
    stringData: {
      'alertmanager.yaml': stringify(amYaml, { lineWidth: 0 }),
      [TEMPLATE_FILE]: alertmanagerTemplates(),
    },
  });
  const alertmanager = new Alertmanager({
    metadata: meta(ALERTMANAGER_NAME),
    spec: {
      // The operator clusters the members (gossip) and Prometheus sends to all of them.
      replicas: config.ha.alertmanagers.length,
      configSecret: `alertmanager-${ALERTMANAGER_NAME}`,
      secrets: [k.alertmanagerSecret],
      externalUrl: `https://alertmanager.${ns}.example.org`,
      podMetadata: { labels },
    },
  });

  const serviceAccount = new ServiceAccount({ metadata: meta(`prometheus-${PROMETHEUS_NAME}`) });
  const role = new Role({
    metadata: meta(`prometheus-${PROMETHEUS_NAME}`),
    rules: [
      { apiGroups: [''], resources: ['services', 'endpoints', 'pods'], verbs: ['get', 'list', 'watch'] },
      { apiGroups: ['discovery.k8s.io'], resources: ['endpointslices'], verbs: ['get', 'list', 'watch'] },
      { apiGroups: [''], resources: ['configmaps'], verbs: ['get'] },
    ],
  });
  const roleBinding = new RoleBinding({
    metadata: meta(`prometheus-${PROMETHEUS_NAME}`),
    roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'Role', name: `prometheus-${PROMETHEUS_NAME}` },
    subjects: [{ kind: 'ServiceAccount', name: `prometheus-${PROMETHEUS_NAME}`, namespace: ns }],
  });
  const rw = config.remoteWrite;
  const q = queueSizing(ctx).queue;
  const prometheus = new Prometheus({
    metadata: meta(PROMETHEUS_NAME),
    spec: {
      replicas: Object.keys(config.ha.prometheusReplicas).length,
      // The operator names the replicas by pod and drops this label from alerts.
      replicaExternalLabelName: config.ha.replicaLabel,
      externalLabels: { monitor: 'askproai' },
      serviceAccountName: `prometheus-${PROMETHEUS_NAME}`,
      serviceMonitorSelector: { matchLabels: k.selectorLabel },
      serviceMonitorNamespaceSelector: {},
      ruleSelector: { matchLabels: k.selectorLabel },
      ruleNamespaceSelector: {},
      scrapeInterval: config.intervals.scrape,
      evaluationInterval: config.intervals.evaluation,
      // Exemplars (trace ids on the latency histograms), as the compose stacks store them.
      enableFeatures: ['exemplar-storage'],
      retention: localRetention(ctx, inputs.ruleExprs),
      retentionSize: config.storage.retentionSize,
      alerting: {
        alertmanagers: [{ namespace: ns, name: 'alertmanager-operated', port: 'web' }],
      },
      remoteWrite: [
        {
          name: REMOTE_NAME,
          url: rw.url.replace('victoriametrics:8428', `victoriametrics.${ns}.svc:8428`),
          remoteTimeout: '30s',
          basicAuth: {
            username: { name: k.remoteWriteSecret, key: 'username' },
            password: { name: k.remoteWriteSecret, key: 'password' },
          },
          ...(rw.orgId === '' ? {} : { headers: { 'X-Scope-OrgID': rw.orgId } }),
          queueConfig: {
            capacity: q.capacity,
            minShards: q.min_shards,
            maxShards: q.max_shards,
            maxSamplesPerSend: q.max_samples_per_send,
            batchSendDeadline: q.batch_send_deadline,
            minBackoff: q.min_backoff,
            maxBackoff: q.max_backoff,
          },
          writeRelabelConfigs: [
            { sourceLabels: ['__name__'], regex: droppedSeries(ctx), action: 'drop' },
            ...(rw.dropReplicaLabel ? [{ regex: config.ha.replicaLabel, action: 'labeldrop' as const }] : []),
          ],
        },
      ],
      securityContext: { runAsNonRoot: true, runAsUser: 1000, fsGroup: 2000 },
    },
  });

  // Neither server has basic auth here (the operator has no field for it): who may connect is decided
  // by the network. Pods carry the operator's own labels (`prometheus: <name>`, `alertmanager: <name>`),
  // which it does not let podMetadata override. `kubectl port-forward` and the kubelet's probes are
  // not pod-to-pod traffic and keep working.
  const prometheusPods = { prometheus: PROMETHEUS_NAME };
  const alertmanagerPods = { alertmanager: ALERTMANAGER_NAME };
  const queriers = [
    { podSelector: { matchLabels: k.queryPodLabel } },
    { namespaceSelector: { matchLabels: k.queryNamespaceLabel } },
  ];
  const prometheusPolicy = new NetworkPolicy({
    metadata: meta(`prometheus-${PROMETHEUS_NAME}`),
    spec: {
      podSelector: { matchLabels: prometheusPods },
      policyTypes: ['Ingress'],
      ingress: [
        // The replicas scrape each other and themselves (every port: Prometheus and its config reloader).
        { from: [{ podSelector: { matchLabels: prometheusPods } }] },
        // Grafana's queries, on the web port only.
        { from: queriers, ports: [{ protocol: 'TCP', port: 9090 }] },
      ],
    },
  });
  const alertmanagerPolicy = new NetworkPolicy({
    metadata: meta(`alertmanager-${ALERTMANAGER_NAME}`),
    spec: {
      podSelector: { matchLabels: alertmanagerPods },
      policyTypes: ['Ingress'],
      ingress: [
        // Alerts and scrapes from Prometheus (every port: Alertmanager and its config reloader).
        { from: [{ podSelector: { matchLabels: prometheusPods } }] },
        // The members' gossip (9094 over TCP and UDP) and their web ports.
        { from: [{ podSelector: { matchLabels: alertmanagerPods } }] },
        // Grafana's Alertmanager datasource and silences, on the web port only.
        { from: queriers, ports: [{ protocol: 'TCP', port: 9093 }] },
      ],
    },
  });

  return {
    'namespace.yaml': [new Namespace({ metadata: { name: ns, labels: k.selectorLabel } })],
    'deployment.yaml': [deployment],
    'service.yaml': [service],
    'servicemonitor.yaml': [
      serviceMonitor,
      stackMonitor(config.jobs.prometheus, 'prometheus'),
      stackMonitor(config.jobs.alertmanager, 'alertmanager'),
    ],
    'prometheusrule.yaml': [rule],
    'grafana-dashboards.yaml': dashboards,
    'alertmanager-config.yaml': [alertmanagerSecret],
    'alertmanager.yaml': [alertmanager],
    'prometheus.yaml': [serviceAccount, role, roleBinding, prometheus],
    'networkpolicy.yaml': [prometheusPolicy, alertmanagerPolicy],
  };
}

/** Validates every object (throws naming the file, kind and name) and renders the files. */
export function renderManifests(files: ManifestFiles, header: string): Map<string, string> {
  const out = new Map<string, string>();
  for (const [file, objects] of Object.entries(files)) {
    const docs = objects.map((o) => {
      try {
        o.validate();
      } catch (error) {
        throw new Error(
          `${file}: ${o.kind} ${o.metadata?.name ?? ''} does not match its schema: ${(error as Error).message}`,
        );
      }
      return stringify(o.toJSON(), { lineWidth: 0, indent: 2 });
    });
    out.set(file, `# ${header}\n${docs.join('---\n')}`);
  }
  const kustomization = {
    apiVersion: 'kustomize.config.k8s.io/v1beta1',
    kind: 'Kustomization',
    resources: Object.keys(files),
  };
  out.set('kustomization.yaml', `# ${header}\n${stringify(kustomization, { indent: 2 })}`);
  return out;
}

/** deploy/kubernetes/README.md: what to create before `kubectl apply -k`, and what each file is. */
export function kubernetesReadme(ctx: Context, header: string, files: readonly string[]): string {
  const k = ctx.config.kubernetes;
  const rw = ctx.config.remoteWrite;
  return `${header}
# Kubernetes manifests

For a cluster running the [Prometheus operator](https://prometheus-operator.dev) (its CRDs installed)
and Grafana with the dashboard sidecar (watching ConfigMaps labelled
\`${Object.entries(k.grafanaDashboardLabel)
    .map(([key, v]) => `${key}: "${v}"`)
    .join(', ')}\`). Generated from \`src/monitoring/kubernetes/\`; docs/scaling.md says what was validated.

The Secrets are created by you, never committed:

\`\`\`bash
kubectl apply -f namespace.yaml
kubectl -n ${k.namespace} create secret generic ${k.tokenSecret} --from-file=token=./metrics_token
kubectl -n ${k.namespace} create secret generic ${k.alertmanagerSecret} \\
  --from-file=slack_webhook_url=./slack_webhook_url --from-file=smtp_password=./smtp_password
kubectl -n ${k.namespace} create secret generic ${k.remoteWriteSecret} \\
  --from-literal=username=${rw.basicAuth.user} --from-file=password=./victoriametrics_password
kubectl -n ${k.namespace} create secret generic ${ctx.config.jobs.service}-env \\
  --from-literal=DATABASE_URL=postgres://... --from-literal=REDIS_URL=redis://...   # optional
kubectl apply -k .
\`\`\`

| file | objects |
|---|---|
${files.map((f) => `| \`${f}\` | ${FILE_NOTES[f] ?? ''} |`).join('\n')}

Access: unlike the compose stacks, Prometheus and Alertmanager run here without basic auth. The Prometheus
Operator has no field for it (\`spec.web\` covers TLS and headers; its probes and config reloader would
need the credentials too). Nothing here publishes them outside the cluster, and \`networkpolicy.yaml\` lets only the stack
itself and Grafana connect: pods labelled \`${Object.entries(k.queryPodLabel)
    .map(([key, v]) => `${key}: ${v}`)
    .join(', ')}\` in this namespace, or any pod of a namespace labelled
\`${Object.entries(k.queryNamespaceLabel)
    .map(([key, v]) => `${key}: "${v}"`)
    .join(', ')}\` (label the namespace where a shared Grafana runs). The policies need a network
plugin that enforces NetworkPolicy (Calico, Cilium, ...); without one they are accepted and do nothing.
Reach the UIs with \`kubectl port-forward\` (not affected by the policies) or through an authenticating
proxy (docs/monitoring.md, *Threat model*).
`;
}

const FILE_NOTES: Record<string, string> = {
  'namespace.yaml': 'the namespace',
  'deployment.yaml': 'the service, one replica per instance of the capacity plan',
  'service.yaml': 'its Service (the port the ServiceMonitor scrapes)',
  'servicemonitor.yaml':
    'scrape configs: the service (metrics path, interval, bearer token from a Secret), Prometheus and Alertmanager',
  'prometheusrule.yaml': "exactly the compose stack's rule groups (recording and alerting)",
  'grafana-dashboards.yaml': 'one ConfigMap per dashboard, labelled for the Grafana sidecar',
  'alertmanager-config.yaml': 'the generated Alertmanager routing and templates (a Secret without secrets)',
  'alertmanager.yaml': 'two clustered Alertmanagers',
  'prometheus.yaml': 'two Prometheus replicas with remote write, their service account and role',
  'networkpolicy.yaml': 'who may connect to Prometheus and Alertmanager: the stack itself and Grafana',
};
