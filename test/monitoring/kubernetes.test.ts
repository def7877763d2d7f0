// deploy/kubernetes: every object validated against its published schema (kubernetes-models and
// @kubernetes-models/prometheus-operator), the PrometheusRule carrying exactly the compose stack's rule
// groups (and promtool accepting them), dashboards as sidecar ConfigMaps, the Alertmanager Secret accepted
// by amtool, and kubectl's client-side kustomize rendering the whole set. No cluster runs here.
import assert from 'node:assert/strict';
import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { Deployment } from 'kubernetes-models/apps/v1';
import { parse, parseAllDocuments, stringify } from 'yaml';
import { monitoringConfig } from '../../src/monitoring/config.ts';
import { createContext } from '../../src/monitoring/context.ts';
import { generatedRuleGroups, generateFiles, paths } from '../../src/monitoring/generate.ts';
import { kubernetesManifests, type RuleGroupFile } from '../../src/monitoring/kubernetes/index.ts';
import { runTool } from '../support/tool.ts';

const ROOT = resolve(import.meta.dirname, '../..');
const at = (p: string) => join(ROOT, p);
const K = paths.kubernetesDir;
const RULES_DIR = 'observability/prometheus/rules';

type Doc = {
  apiVersion: string;
  kind: string;
  metadata: { name: string; namespace?: string; labels?: Record<string, string> };
  spec?: Record<string, unknown>;
  data?: Record<string, string>;
  stringData?: Record<string, string>;
};

async function docs(file: string): Promise<Doc[]> {
  return parseAllDocuments(await readFile(at(`${K}/${file}`), 'utf8')).map((d) => d.toJSON() as Doc);
}

const tool = (cmd: string, args: string[]) => runTool(cmd, args);

let dir: string;
before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'askproai-k8s-'));
});
after(async () => {
  await rm(dir, { recursive: true, force: true });
});

/** The rule groups the compose stack's Prometheus loads: every file of the rules folder, glob order. */
async function composeRuleGroups(): Promise<RuleGroupFile[]> {
  const files = (await readdir(at(RULES_DIR))).filter((f) => f.endsWith('.yml')).sort();
  const groups: RuleGroupFile[] = [];
  for (const f of files)
    groups.push(
      ...(parse(await readFile(at(`${RULES_DIR}/${f}`), 'utf8')) as { groups: RuleGroupFile[] }).groups,
    );
  return groups;
}

describe('Kubernetes manifests', () => {
  test('every object validates against its schema', () => {
    const generated = generateFiles();
    const manifests = kubernetesManifests(createContext(), {
      ruleGroups: generatedRuleGroups(generated),
      dashboards: { 'x.json': '{}' },
      ruleExprs: [],
    });
    let n = 0;
    for (const objects of Object.values(manifests)) {
      for (const o of objects) {
        o.validate();
        n++;
      }
    }
    assert.ok(n >= 13, `${n} objects`);
  });

  test('validation is not vacuous: a wrongly typed field is rejected', () => {
    const bad = new Deployment({
      metadata: { name: 'x' },
      spec: {
        replicas: 'two' as unknown as number,
        selector: { matchLabels: { a: 'b' } },
        template: { spec: { containers: [{ name: 'c', image: 'i' }] } },
      },
    });
    assert.throws(() => bad.validate(), /replicas/);
  });

  test('the PrometheusRule carries exactly the rule groups of the compose stack', async () => {
    const [rule] = await docs('prometheusrule.yaml');
    assert.equal(rule!.kind, 'PrometheusRule');
    const groups = (rule!.spec as { groups: RuleGroupFile[] }).groups;
    assert.deepEqual(groups, await composeRuleGroups());
    assert.ok(groups.length >= 8);
    // The operator selects it by the label the Prometheus resource's ruleSelector names.
    const [, , , prometheus] = await docs('prometheus.yaml');
    const selector = (prometheus!.spec as { ruleSelector: { matchLabels: Record<string, string> } })
      .ruleSelector;
    for (const [k, v] of Object.entries(selector.matchLabels)) assert.equal(rule!.metadata.labels?.[k], v);
  });

  test('promtool check rules accepts the groups extracted from the PrometheusRule', async () => {
    const [rule] = await docs('prometheusrule.yaml');
    const file = join(dir, 'extracted.yml');
    await writeFile(file, stringify({ groups: (rule!.spec as { groups: unknown }).groups }));
    const r = await tool('promtool', ['check', 'rules', file]);
    assert.equal(r.code, 0, r.out);
    const count = (await composeRuleGroups()).reduce((a, g) => a + g.rules.length, 0);
    assert.match(r.out, new RegExp(`SUCCESS: ${count} rules found`));
  });

  test('the ServiceMonitor scrapes the Service with the bearer token from a Secret', async () => {
    const [sm] = await docs('servicemonitor.yaml');
    const [svc] = await docs('service.yaml');
    const [deployment] = await docs('deployment.yaml');
    const k = monitoringConfig.kubernetes;
    // The job label is the Service's name: the job the generated rules select.
    assert.equal(svc!.metadata.name, monitoringConfig.jobs.service);
    const endpoint = (sm!.spec as { endpoints: Record<string, unknown>[] }).endpoints[0]!;
    assert.deepEqual(endpoint.bearerTokenSecret, { name: k.tokenSecret, key: 'token' });
    assert.equal(endpoint.path, monitoringConfig.targets.metricsPath);
    assert.equal(endpoint.port, 'http');
    const container = (deployment!.spec as { template: { spec: { containers: { env: unknown[] }[] } } })
      .template.spec.containers[0]!;
    assert.ok(
      container.env.some(
        (e) =>
          JSON.stringify(e) ===
          JSON.stringify({
            name: 'METRICS_AUTH_TOKEN',
            valueFrom: { secretKeyRef: { name: k.tokenSecret, key: 'token' } },
          }),
      ),
    );
    assert.equal((deployment!.spec as { replicas: number }).replicas, monitoringConfig.capacity.instances);
    // No secret value is committed: only the Alertmanager Secret exists, and it holds file paths.
    const all = (await readdir(at(K))).filter((f) => f.endsWith('.yaml'));
    const secrets = (await Promise.all(all.map(docs))).flat().filter((d) => d.kind === 'Secret');
    assert.deepEqual(
      secrets.map((s) => s.metadata.name),
      ['alertmanager-askproai'],
    );
  });

  test('every dashboard is a ConfigMap with the label the Grafana sidecar watches', async () => {
    const maps = await docs('grafana-dashboards.yaml');
    const files = (await readdir(at(paths.dashboardsDir))).filter((f) => f.endsWith('.json')).sort();
    assert.deepEqual(maps.map((m) => Object.keys(m.data!)[0]).sort(), files);
    for (const m of maps) {
      assert.equal(m.metadata.labels?.grafana_dashboard, '1');
      const [file, json] = Object.entries(m.data!)[0]!;
      assert.equal(json, await readFile(at(`${paths.dashboardsDir}/${file}`), 'utf8'));
    }
  });

  test('amtool check-config accepts the Alertmanager configuration Secret', async () => {
    const [secret] = await docs('alertmanager-config.yaml');
    const data = secret!.stringData!;
    await writeFile(join(dir, 'askproai.tmpl'), data['askproai.tmpl']!);
    const config = data['alertmanager.yaml']!.replace('/etc/alertmanager/config/', `${dir}/`);
    await writeFile(join(dir, 'alertmanager.yml'), config);
    const r = await tool('amtool', ['check-config', join(dir, 'alertmanager.yml')]);
    assert.equal(r.code, 0, r.out);
    assert.match(r.out, /1 templates/);
    assert.match(config, /_file: \/etc\/alertmanager\/secrets\/askproai-alertmanager-secrets\//);
  });

  test('kubectl kustomize renders every object of every file (client-side)', async () => {
    const r = await tool('kubectl', ['kustomize', at(K)]);
    assert.equal(r.code, 0, r.out);
    const rendered = parseAllDocuments(r.stdout).map((d) => d.toJSON() as Doc);
    const files = (parse(await readFile(at(`${K}/kustomization.yaml`), 'utf8')) as { resources: string[] })
      .resources;
    const expected = (await Promise.all(files.map(docs))).flat();
    assert.equal(rendered.length, expected.length);
    assert.deepEqual(
      rendered.map((d) => `${d.kind}/${d.metadata.name}`).sort(),
      expected.map((d) => `${d.kind}/${d.metadata.name}`).sort(),
    );
    for (const d of rendered)
      if (d.kind !== 'Namespace') assert.equal(d.metadata.namespace, monitoringConfig.kubernetes.namespace);
  });

  test('the NetworkPolicies let the stack and Grafana in, and no other pod', async () => {
    type Selector = { matchLabels?: Record<string, string> };
    type Peer = { podSelector?: Selector; namespaceSelector?: Selector };
    type Rule = { from?: Peer[]; ports?: { protocol?: string; port: number }[] };
    type Policy = { podSelector: Selector; ingress: Rule[] };
    const policies = (await docs('networkpolicy.yaml')).map((d) => d.spec as unknown as Policy);
    const matches = (sel: Selector | undefined, labels: Record<string, string>) =>
      Object.entries(sel?.matchLabels ?? {}).every(([k, v]) => labels[k] === v);
    const ns = monitoringConfig.kubernetes.namespace;
    interface Pod {
      labels: Record<string, string>;
      namespace: string;
      namespaceLabels?: Record<string, string>;
    }
    // What an enforcing network plugin decides for a connection to `to` on `port` (TCP or UDP).
    const allowed = (from: Pod, to: Pod, port: number, protocol = 'TCP') => {
      const applying = policies.filter((p) => to.namespace === ns && matches(p.podSelector, to.labels));
      if (applying.length === 0) return true;
      return applying.some((p) =>
        p.ingress.some(
          (rule) =>
            (rule.ports === undefined ||
              rule.ports.some((x) => x.port === port && (x.protocol ?? 'TCP') === protocol)) &&
            (rule.from ?? []).some((peer) =>
              peer.namespaceSelector
                ? matches(peer.namespaceSelector, from.namespaceLabels ?? {}) &&
                  matches(peer.podSelector, from.labels)
                : from.namespace === ns && matches(peer.podSelector, from.labels),
            ),
        ),
      );
    };
    // The labels the operator itself puts on the pods of the resources named here (it lets no
    // podMetadata override them), on the operator's fixed ports.
    const [prometheusResource] = (await docs('prometheus.yaml')).filter((d) => d.kind === 'Prometheus');
    const [alertmanagerResource] = await docs('alertmanager.yaml');
    const prometheus: Pod = { labels: { prometheus: prometheusResource!.metadata.name }, namespace: ns };
    const alertmanager: Pod = {
      labels: { alertmanager: alertmanagerResource!.metadata.name },
      namespace: ns,
    };
    const grafana: Pod = { labels: monitoringConfig.kubernetes.queryPodLabel, namespace: ns };
    const sharedGrafana: Pod = {
      labels: { app: 'grafana' },
      namespace: 'observability',
      namespaceLabels: monitoringConfig.kubernetes.queryNamespaceLabel,
    };
    const service: Pod = {
      labels: { 'app.kubernetes.io/name': monitoringConfig.jobs.service },
      namespace: ns,
    };
    const stranger: Pod = { labels: { app: 'other' }, namespace: 'default' };

    assert.ok(allowed(prometheus, alertmanager, 9093), 'Prometheus sends alerts');
    assert.ok(allowed(prometheus, prometheus, 9090), 'the replicas scrape each other');
    assert.ok(allowed(prometheus, alertmanager, 8080), 'Prometheus scrapes the config reloader');
    assert.ok(allowed(alertmanager, alertmanager, 9094, 'UDP'), 'gossip between members');
    assert.ok(allowed(alertmanager, alertmanager, 9094, 'TCP'));
    for (const q of [grafana, sharedGrafana]) {
      assert.ok(allowed(q, prometheus, 9090), 'Grafana queries Prometheus');
      assert.ok(allowed(q, alertmanager, 9093), 'Grafana reads Alertmanager');
      assert.ok(!allowed(q, prometheus, 8080), 'only the web port');
      assert.ok(!allowed(q, alertmanager, 9094, 'UDP'), 'no gossip from Grafana');
    }
    // The service it watches (which could be made to send anything) and any other pod: nothing.
    for (const p of [service, stranger, { ...sharedGrafana, namespaceLabels: {} }]) {
      assert.ok(!allowed(p, prometheus, 9090), `${JSON.stringify(p.labels)} must not query Prometheus`);
      assert.ok(!allowed(p, alertmanager, 9093), `${JSON.stringify(p.labels)} must not post alerts`);
    }
    // The service itself stays reachable (its exposure is the platform's ingress).
    assert.ok(allowed(stranger, service, monitoringConfig.kubernetes.containerPort));
  });

  test('remote write sends the store credentials from a Secret, as the compose HA replicas do', async () => {
    const [prometheus] = (await docs('prometheus.yaml')).filter((d) => d.kind === 'Prometheus');
    const [remote] = (prometheus!.spec as { remoteWrite: { basicAuth?: unknown }[] }).remoteWrite;
    const secret = monitoringConfig.kubernetes.remoteWriteSecret;
    assert.deepEqual(remote!.basicAuth, {
      username: { name: secret, key: 'username' },
      password: { name: secret, key: 'password' },
    });
    // The README tells the operator to create that Secret; no value is committed.
    const readme = await readFile(at(`${K}/README.md`), 'utf8');
    assert.match(readme, new RegExp(`create secret generic ${secret} `));
  });
});
