/**
 * Recording cost per call, ours against prom-client 15 in the same process and run: a labelled
 * counter increment (`recordBooking`) and a counter plus histogram (`recordWebhook`). Label values
 * cycle through a ring of realistic, weighted values so no variant sees one hot label set only.
 * Variants alternate over several rounds; the figure is the median over rounds of mitata's p50.
 *
 * Run: `BENCH_MODE=quick node --import tsx bench/micro.ts`
 */
import { do_not_optimize, measure } from 'mitata';
import client from 'prom-client';
import { catalog, fullName } from '../src/metrics/catalog.ts';
import { MetricsCollector } from '../src/metrics/collector.ts';
import { createRegistry } from '../src/metrics/registry.ts';
import { bookingLabels, webhookSamples } from './lib/labels.ts';
import { log, pick, writeResult } from './lib/output.ts';
import { median, round } from './lib/stats.ts';

const RING = 1024;
const MASK = RING - 1;
const bookings = bookingLabels(RING);
const webhooks = webhookSamples(RING);

// --- ours ---------------------------------------------------------------------------------------
const registry = createRegistry();
const collector = new MetricsCollector(registry);
const boundBookings = bookings.map((b) => registry.counter(catalog.bookingsTotal).with2(b.status, b.source));

// --- prom-client, configured with the same names, labels and buckets ------------------------------
const promRegistry = new client.Registry();
const promBookings = new client.Counter({
  name: fullName(catalog.bookingsTotal),
  help: catalog.bookingsTotal.help,
  labelNames: catalog.bookingsTotal.labels,
  registers: [promRegistry],
});
const promWebhooks = new client.Counter({
  name: fullName(catalog.webhooksTotal),
  help: catalog.webhooksTotal.help,
  labelNames: catalog.webhooksTotal.labels,
  registers: [promRegistry],
});
const promWebhookDuration = new client.Histogram({
  name: fullName(catalog.webhookProcessingDuration),
  help: catalog.webhookProcessingDuration.help,
  labelNames: catalog.webhookProcessingDuration.labels,
  buckets: [...catalog.webhookProcessingDuration.buckets!],
  registers: [promRegistry],
});
const promBookingChildren = bookings.map((b) => promBookings.labels(b.status, b.source));
const promWebhookChildren = webhooks.map((w) => ({
  count: promWebhooks.labels(w.provider, w.event, w.status),
  duration: promWebhookDuration.labels(w.provider, w.event),
}));

// --- exemplars: the same histogram observation without and with a trace id ----------------------
const TRACE = '4bf92f3577b34da6a3ce929d0e0e4736';
const webhookDuration = registry.histogram(catalog.webhookProcessingDuration);
const tracedCollector = new MetricsCollector(createRegistry(), { traceId: () => TRACE });
const omRegistry = new client.Registry<typeof client.Registry.OPENMETRICS_CONTENT_TYPE>();
omRegistry.setContentType(client.Registry.OPENMETRICS_CONTENT_TYPE);
const promTracedDuration = new client.Histogram<string>({
  name: fullName(catalog.webhookProcessingDuration),
  help: catalog.webhookProcessingDuration.help,
  labelNames: catalog.webhookProcessingDuration.labels,
  buckets: [...catalog.webhookProcessingDuration.buckets!],
  enableExemplars: true,
  registers: [omRegistry],
});

let i = 0;
const cases: Record<string, () => void> = {
  'ours recordBooking': () => {
    const b = bookings[i++ & MASK]!;
    collector.recordBooking(b.status, b.source);
  },
  'ours bound series inc()': () => {
    boundBookings[i++ & MASK]!.inc();
  },
  'prom-client inc({status, source})': () => {
    const b = bookings[i++ & MASK]!;
    promBookings.inc({ status: b.status, source: b.source });
  },
  'prom-client labels(status, source).inc()': () => {
    const b = bookings[i++ & MASK]!;
    promBookings.labels(b.status, b.source).inc();
  },
  'prom-client cached child inc()': () => {
    promBookingChildren[i++ & MASK]!.inc();
  },
  'ours recordWebhook': () => {
    const w = webhooks[i++ & MASK]!;
    collector.recordWebhook(w.provider, w.event, w.status, w.seconds);
  },
  'prom-client counter inc + histogram observe': () => {
    const w = webhooks[i++ & MASK]!;
    promWebhooks.inc({ provider: w.provider, event: w.event, status: w.status });
    promWebhookDuration.observe({ provider: w.provider, event: w.event }, w.seconds);
  },
  'prom-client cached children inc + observe': () => {
    const k = i++ & MASK;
    const c = promWebhookChildren[k]!;
    c.count.inc();
    c.duration.observe(webhooks[k]!.seconds);
  },
  'ours recordWebhook, tracing on': () => {
    const w = webhooks[i++ & MASK]!;
    tracedCollector.recordWebhook(w.provider, w.event, w.status, w.seconds);
  },
  'ours histogram observe()': () => {
    const w = webhooks[i++ & MASK]!;
    webhookDuration.with2(w.provider, w.event).observe(w.seconds);
  },
  'ours histogram observeTraced() (exemplar)': () => {
    const w = webhooks[i++ & MASK]!;
    webhookDuration.with2(w.provider, w.event).observeTraced(w.seconds, TRACE, Date.now());
  },
  'prom-client histogram observe()': () => {
    const w = webhooks[i++ & MASK]!;
    promWebhookDuration.observe({ provider: w.provider, event: w.event }, w.seconds);
  },
  'prom-client histogram observe() with exemplar': () => {
    const w = webhooks[i++ & MASK]!;
    promTracedDuration.observe({
      labels: { provider: w.provider, event: w.event },
      value: w.seconds,
      exemplarLabels: { trace_id: TRACE } as Record<string, string>,
    });
  },
  'ring read only (loop overhead)': () => {
    do_not_optimize(bookings[i++ & MASK]);
  },
};

const rounds = pick(1, 3);
const samples: Record<string, number[]> = Object.fromEntries(Object.keys(cases).map((k) => [k, []]));
const names = Object.keys(cases);
for (let r = 0; r < rounds; r++) {
  // Rotate the order every round so no variant always runs first (cold) or last.
  for (let k = 0; k < names.length; k++) {
    const name = names[(k + r) % names.length]!;
    const stats = await measure(cases[name]!, { min_cpu_time: pick(200, 600) * 1e6 });
    samples[name]!.push(stats.p50);
    log(`micro round ${r + 1}/${rounds}: ${name} ${stats.p50.toFixed(1)} ns`);
  }
}

// Every variant must have recorded something; a no-op would make the comparison meaningless.
const exposed = registry.expose('text');
if (!/askproai_bookings_total\{status="confirmed",source="phone"\} [1-9]/.test(exposed)) {
  throw new Error('ours recorded no bookings: the benchmark measured a no-op');
}
if (!exposed.includes('askproai_webhook_processing_duration_seconds_count{provider="retell"')) {
  throw new Error('ours recorded no webhooks: the benchmark measured a no-op');
}
const promText = await promRegistry.metrics();
if (!/askproai_bookings_total\{status="confirmed",source="phone"\} [1-9]/.test(promText)) {
  throw new Error('prom-client recorded no bookings');
}

if (!registry.expose('openmetrics').includes(`trace_id="${TRACE}"`)) throw new Error('ours kept no exemplar');
if (!(await omRegistry.metrics()).includes(`trace_id="${TRACE}"`))
  throw new Error('prom-client kept no exemplar');

const results = Object.fromEntries(
  names.map((n) => [n, { ns: round(median(samples[n]!), 1), rounds: samples[n] }]),
);
writeResult('micro', { rounds, results });
for (const n of names) log(`${n}: ${results[n]!.ns} ns (median of ${rounds})`);
