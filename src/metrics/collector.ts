/**
 * MetricsCollector: the typed business API over the catalog, with the spec's calls and semantics.
 *
 * ```ts
 * const metrics = new MetricsCollector(createRegistry());
 * metrics.recordBooking('confirmed', 'phone');
 * metrics.recordWebhook('retell', 'call_ended', 'success', 0.35);
 * metrics.updateQueueSize('default', 42);
 * metrics.recordError('payment_failed', 'critical');
 * ```
 *
 * Recording never throws and never waits. With `enabled: false` every method is a no-op chosen once at
 * construction (METRICS_ENABLED=false).
 */
import {
  ADMIN_PAGES,
  type AdminPage,
  BOOKING_SOURCES,
  BOOKING_STATUSES,
  type BookingSource,
  type BookingStatus,
  type CallStatus,
  catalog,
  type PoolState,
  type QueryOperation,
  type QueueJobOutcome,
  type QueueJobState,
  SEVERITIES,
  type Severity,
  WEBHOOK_STATUSES,
  type WebhookProvider,
  type WebhookStatus,
} from './catalog.ts';
import type { CounterFamily, GaugeFamily, GaugeSeries, HistogramFamily } from './core/family.ts';
import type { Registry } from './core/registry.ts';
import { createRegistry } from './registry.ts';

export interface CollectorOptions {
  /** False makes every recording a no-op. Default true. */
  enabled?: boolean;
  /** Queries at or above this many seconds also count as slow. Default 0.1 (the spec's 100 ms). */
  slowQuerySeconds?: number;
  /**
   * The trace id of the work being recorded (the active Sentry/OpenTelemetry span), or undefined.
   * When set, webhook durations carry it as an OpenMetrics exemplar; when not, recording does not
   * look for one at all.
   */
  traceId?: () => string | undefined;
}

const ADMIN_PAGE_SET: ReadonlySet<string> = new Set(ADMIN_PAGES);

export class MetricsCollector {
  readonly registry: Registry;
  readonly enabled: boolean;
  private readonly slowQuerySeconds: number;
  private readonly bookings: CounterFamily;
  private readonly calls: CounterFamily;
  private readonly webhooks: CounterFamily;
  private readonly webhookDuration: HistogramFamily;
  private readonly queueSize: GaugeFamily;
  private readonly queueJobs: GaugeFamily;
  private readonly dbConnections: GaugeSeries;
  private readonly dbMaxConnections: GaugeSeries;
  private readonly poolConnections: GaugeFamily;
  private readonly tenants: GaugeSeries;
  private readonly bookingsToday: GaugeFamily;
  private readonly errors: CounterFamily;
  private readonly queryDuration: HistogramFamily;
  private readonly slowQueries: CounterFamily;
  private readonly jobsProcessed: CounterFamily;
  private readonly jobDuration: HistogramFamily;
  private readonly jobWait: HistogramFamily;
  private readonly jobTimeouts: CounterFamily;
  private readonly pageLoad: HistogramFamily;

  constructor(registry: Registry = createRegistry(), options: CollectorOptions = {}) {
    this.registry = registry;
    this.enabled = options.enabled ?? true;
    this.slowQuerySeconds = options.slowQuerySeconds ?? 0.1;
    this.bookings = registry.counter(catalog.bookingsTotal);
    this.calls = registry.counter(catalog.callsTotal);
    this.webhooks = registry.counter(catalog.webhooksTotal);
    this.webhookDuration = registry.histogram(catalog.webhookProcessingDuration);
    this.queueSize = registry.gauge(catalog.queueSize);
    this.queueJobs = registry.gauge(catalog.queueJobs);
    this.dbConnections = registry.gauge(catalog.databaseConnections).get();
    this.dbMaxConnections = registry.gauge(catalog.databaseMaxConnections).get();
    this.poolConnections = registry.gauge(catalog.databasePoolConnections);
    this.tenants = registry.gauge(catalog.activeTenants).get();
    this.bookingsToday = registry.gauge(catalog.bookingsToday);
    this.errors = registry.counter(catalog.errorsTotal);
    this.queryDuration = registry.histogram(catalog.databaseQueryDuration);
    this.slowQueries = registry.counter(catalog.databaseSlowQueries);
    this.jobsProcessed = registry.counter(catalog.queueJobsProcessed);
    this.jobDuration = registry.histogram(catalog.queueJobDuration);
    this.jobWait = registry.histogram(catalog.queueJobWait);
    this.jobTimeouts = registry.counter(catalog.queueJobTimeouts);
    this.pageLoad = registry.histogram(catalog.adminPageLoad);

    if (!this.enabled) {
      for (const key of Object.getOwnPropertyNames(MetricsCollector.prototype)) {
        if (key !== 'constructor') Object.defineProperty(this, key, { value: noop });
      }
      return;
    }
    const traceId = options.traceId;
    if (traceId !== undefined) {
      this.recordWebhook = (provider, event, status, durationSeconds) => {
        this.webhooks.with3(provider, event, status).inc();
        this.webhookDuration.with2(provider, event).observeTraced(durationSeconds, traceId(), Date.now());
      };
    }
    // Closed sets start at 0, so the first booking of a kind shows up in rate() and increase().
    for (const status of BOOKING_STATUSES)
      for (const source of BOOKING_SOURCES) this.bookings.with2(status, source);
  }

  // --- The spec's calls -----------------------------------------------------------------------

  /** Counts one booking: `askproai_bookings_total{status,source}`. */
  recordBooking(status: BookingStatus, source: BookingSource): void {
    this.bookings.with2(status, source).inc();
  }

  /** Counts one finished call for a tenant: `askproai_calls_total{status,company}`; company is an id, never a name. */
  recordCall(status: CallStatus, company: string): void {
    this.calls.with2(status, company).inc();
  }

  /** Sets `askproai_build_info{version}` to 1: the build this process runs (deploy annotations). */
  setBuildInfo(version: string): void {
    this.registry.gauge(catalog.buildInfo).with1(version).set(1);
  }

  /**
   * Creates every `askproai_webhooks_total{provider,event,status}` series of a provider's known events
   * at 0, so the first rejected (or failed) delivery after a start is an increase that rate() and
   * increase() see, not a series born at 1 that they miss.
   */
  startWebhookSeries(provider: WebhookProvider, events: readonly string[]): void {
    for (const event of events)
      for (const status of WEBHOOK_STATUSES) this.webhooks.with3(provider, event, status);
  }

  /** Counts one webhook delivery and observes its processing time. */
  recordWebhook(
    provider: WebhookProvider,
    event: string,
    status: WebhookStatus,
    durationSeconds: number,
  ): void {
    this.webhooks.with3(provider, event, status).inc();
    this.webhookDuration.with2(provider, event).observe(durationSeconds);
  }

  /** Sets the number of jobs waiting in a queue. */
  updateQueueSize(queue: string, size: number): void {
    this.queueSize.with1(queue).set(size);
  }

  /**
   * Creates `askproai_errors_total{type,severity}` at 0 for every known error type and every severity,
   * so the first error of a kind after a start is an increase that rate(), increase() and the alert on
   * critical errors see.
   */
  startErrorSeries(types: readonly string[]): void {
    for (const type of types) for (const severity of SEVERITIES) this.errors.with2(type, severity);
  }

  /** Counts one application error. */
  recordError(type: string, severity: Severity): void {
    this.errors.with2(type, severity).inc();
  }

  setDatabaseConnections(connections: number): void {
    this.dbConnections.set(connections);
  }

  setActiveTenants(tenants: number): void {
    this.tenants.set(tenants);
  }

  // --- Collected system values ------------------------------------------------------------------

  setDatabaseMaxConnections(max: number): void {
    this.dbMaxConnections.set(max);
  }

  setPoolConnections(state: PoolState, n: number): void {
    this.poolConnections.with1(state).set(n);
  }

  setQueueJobs(queue: string, state: QueueJobState, n: number): void {
    this.queueJobs.with2(queue, state).set(n);
  }

  setBookingsToday(status: BookingStatus, n: number): void {
    this.bookingsToday.with1(status).set(n);
  }

  // --- Instrumentation --------------------------------------------------------------------------

  /** Observes one database query; no SQL text ever becomes a label. */
  recordQuery(operation: QueryOperation, durationSeconds: number): void {
    this.queryDuration.with1(operation).observe(durationSeconds);
    if (durationSeconds >= this.slowQuerySeconds) this.slowQueries.with1(operation).inc();
  }

  /** Counts one processed queue job and, when it ran, its run time. */
  recordJob(queue: string, outcome: QueueJobOutcome, durationSeconds?: number): void {
    this.jobsProcessed.with2(queue, outcome).inc();
    if (durationSeconds !== undefined) this.jobDuration.with1(queue).observe(durationSeconds);
  }

  recordJobWait(queue: string, waitSeconds: number): void {
    this.jobWait.with1(queue).observe(waitSeconds);
  }

  recordJobTimeout(queue: string): void {
    this.jobTimeouts.with1(queue).inc();
  }

  /** Observes one admin page load; unknown pages are folded into `other`, values outside 0..600 s dropped. */
  recordAdminPageLoad(page: AdminPage | string, seconds: number): void {
    if (!(seconds >= 0 && seconds <= 600)) return;
    this.pageLoad.with1(ADMIN_PAGE_SET.has(page) ? page : 'other').observe(seconds);
  }
}

function noop(): void {}
