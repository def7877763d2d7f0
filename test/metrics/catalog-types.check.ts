/**
 * Compile-time checks, run by the type check in project-checks.test.ts: each `@ts-expect-error`
 * line must be an error, or `tsc` fails with "Unused '@ts-expect-error' directive".
 */
import { catalog } from '../../src/metrics/catalog.ts';
import { MetricsCollector } from '../../src/metrics/collector.ts';
import { createRegistry } from '../../src/metrics/registry.ts';

const registry = createRegistry();
const metrics = new MetricsCollector(registry);

metrics.recordBooking('confirmed', 'phone');
// @ts-expect-error a misspelled booking status
metrics.recordBooking('confirmd', 'phone');
// @ts-expect-error an unknown booking source
metrics.recordBooking('confirmed', 'fax');
// @ts-expect-error an unknown severity
metrics.recordError('payment_failed', 'fatal');
// @ts-expect-error an unknown webhook provider
metrics.recordWebhook('stripe', 'charge', 'processed', 0.1);
// @ts-expect-error a misspelled metric in the catalog
registry.counter(catalog.bookingTotal);
// @ts-expect-error a misspelled label name
registry.counter(catalog.callsTotal).labelsFrom({ status: 'completed', compnay: 'cmp_1' });
// @ts-expect-error a gauge is not a histogram
registry.histogram(catalog.queueSize).get().observe(1);
registry.counter(catalog.callsTotal).labelsFrom({ status: 'completed', company: 'cmp_1' }).inc();
