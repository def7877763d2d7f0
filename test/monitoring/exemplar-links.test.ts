import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import { parse, parseAllDocuments } from 'yaml';

const read = (path: string) => readFileSync(new URL(`../../${path}`, import.meta.url), 'utf8');

test('latency panels fetch exemplars and the Prometheus datasource links their trace id', () => {
  const dashboard = JSON.parse(read('observability/grafana/dashboards/askproai-system.json')) as {
    panels: Array<{ title: string; targets?: Array<{ expr: string; exemplar?: boolean }> }>;
  };
  const withExemplars = dashboard.panels.filter((p) => p.targets?.some((t) => t.exemplar === true));
  assert.deepEqual(
    withExemplars.map((p) => p.title).sort(),
    ['API Response Time (p95)', 'Webhook processing p95 by provider', 'p95 response time by endpoint'].sort(),
  );
  for (const p of withExemplars)
    for (const t of p.targets!.filter((x) => x.exemplar))
      assert.match(t.expr, /_bucket/, `${p.title}: exemplars come from the histogram's buckets`);
  const ds = parse(read('observability/grafana/provisioning/datasources/datasources.yml')) as {
    datasources: Array<{
      type: string;
      jsonData?: { exemplarTraceIdDestinations?: Array<{ name: string; url: string }> };
    }>;
  };
  const prometheus = ds.datasources.find((d) => d.type === 'prometheus')!;
  const [link] = prometheus.jsonData!.exemplarTraceIdDestinations!;
  assert.equal(link!.name, 'trace_id');
  assert.match(link!.url, /\$\{__value\.raw\}/);
});

test('the compose files start Prometheus with exemplar storage', () => {
  for (const file of ['docker-compose.observability.yml', 'docker-compose.observability.dev.yml']) {
    const compose = parse(read(file)) as { services: { prometheus: { command: string[] } } };
    assert.ok(compose.services.prometheus.command.includes('--enable-feature=exemplar-storage'), file);
  }
});

test('the HA replicas and the Kubernetes Prometheus store exemplars too', () => {
  const ha = parse(read('docker-compose.observability.ha.yml')) as {
    services: Record<string, { command?: string[] }>;
  };
  const replicas = Object.entries(ha.services).filter(([name]) => name.startsWith('prometheus'));
  assert.ok(replicas.length >= 2, 'two Prometheus replicas');
  for (const [name, service] of replicas) {
    assert.ok(service.command?.includes('--enable-feature=exemplar-storage'), name);
  }
  const k8s = parseAllDocuments(read('deploy/kubernetes/prometheus.yaml'))
    .map((d) => d.toJS() as { kind: string; spec?: { enableFeatures?: string[] } })
    .find((o) => o.kind === 'Prometheus');
  assert.deepEqual(k8s?.spec?.enableFeatures, ['exemplar-storage']);
});
