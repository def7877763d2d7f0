/**
 * Error tracking with @sentry/node, configured from SENTRY_DSN (or its alias SENTRY_LARAVEL_DSN),
 * SENTRY_ENVIRONMENT and SENTRY_TRACES_SAMPLE_RATE. Events carry the tenant as a tag and never PII:
 * data collection is switched off and `beforeSend` scrubs messages, exceptions, request data and breadcrumbs.
 * Without a DSN every call is a no-op.
 */
import * as Sentry from '@sentry/node';
import type { Config } from '../config.ts';
import type { Scrubber } from './redact.ts';

export interface ErrorTracker {
  readonly enabled: boolean;
  /** Reports an exception with tags (tenant, error type); never throws. */
  capture(error: unknown, tags: Record<string, string | undefined>): void;
  /** Waits until queued events are sent (or the timeout passes). */
  flush(timeoutMs?: number): Promise<boolean>;
  close(timeoutMs?: number): Promise<void>;
}

const DISABLED: ErrorTracker = {
  enabled: false,
  capture() {},
  flush: async () => true,
  close: async () => {},
};

const SELF_REPORTED = new Set(['OnUncaughtException', 'OnUnhandledRejection', 'Fastify']);

type SentryEvent = Parameters<NonNullable<Sentry.NodeOptions['beforeSend']>>[0];
type SentryTransaction = Parameters<NonNullable<Sentry.NodeOptions['beforeSendTransaction']>>[0];

const QUERY_KEYS = new Set(['url.query', 'http.query', 'query', 'db.statement.parameters']);
const withoutQuery = (s: string) => {
  const q = s.indexOf('?');
  return q < 0 ? s : s.slice(0, q);
};

/** Span data without query strings, every string scrubbed. */
function scrubSpanData(data: Record<string, unknown>, scrubber: Scrubber): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(data)) {
    if (QUERY_KEYS.has(k)) continue;
    out[k] = typeof v === 'string' ? scrubber.text(withoutQuery(v)) : scrubber.value(v);
  }
  return out;
}

interface AnySpan {
  name?: string;
  description?: string;
  data?: Record<string, unknown>;
  attributes?: Record<string, unknown>;
}

/**
 * Removes PII and query strings from a span: its name or description and its data or attributes
 * (streamed spans use the first, transaction children the second).
 */
export function scrubSentrySpan<S extends object>(span: S, scrubber: Scrubber): S {
  const x = span as AnySpan;
  if (x.name) x.name = scrubber.text(withoutQuery(x.name));
  if (x.description) x.description = scrubber.text(withoutQuery(x.description));
  if (x.data) x.data = scrubSpanData(x.data, scrubber);
  if (x.attributes) x.attributes = scrubSpanData(x.attributes, scrubber);
  return span;
}

/** Removes PII from a transaction: its name, request, trace context and every child span. */
export function scrubSentryTransaction(event: SentryTransaction, scrubber: Scrubber): SentryTransaction {
  delete event.user;
  delete event.server_name;
  if (event.transaction) event.transaction = scrubber.text(withoutQuery(event.transaction));
  if (event.request) {
    const { method, url } = event.request;
    event.request = { method, url: url === undefined ? undefined : scrubber.text(withoutQuery(url)) };
  }
  const trace = event.contexts?.trace;
  if (trace?.data) trace.data = scrubSpanData(trace.data, scrubber);
  for (const span of event.spans ?? []) scrubSentrySpan(span, scrubber);
  if (event.breadcrumbs) event.breadcrumbs = [];
  return event;
}

/** Removes PII from an event before it leaves the process. */
export function scrubSentryEvent(event: SentryEvent, scrubber: Scrubber): SentryEvent {
  delete event.user;
  delete event.server_name;
  if (event.message) event.message = scrubber.text(event.message);
  for (const ex of event.exception?.values ?? []) {
    if (ex.value) ex.value = scrubber.text(ex.value);
    for (const frame of ex.stacktrace?.frames ?? []) delete frame.vars;
  }
  if (event.request) {
    const { method, url } = event.request;
    event.request = { method, url: url === undefined ? undefined : scrubber.text(url.split('?')[0] ?? url) };
  }
  if (event.extra) event.extra = scrubber.value(event.extra) as Record<string, unknown>;
  if (event.contexts) event.contexts = scrubber.value(event.contexts) as typeof event.contexts;
  if (event.breadcrumbs) {
    event.breadcrumbs = event.breadcrumbs.map((b) => ({
      ...b,
      message: b.message === undefined ? undefined : scrubber.text(b.message),
      data: b.data === undefined ? undefined : (scrubber.value(b.data) as Record<string, unknown>),
    }));
  }
  return event;
}

/**
 * Initializes Sentry once for the process. Returns a no-op tracker when no DSN is configured.
 */
export function initErrorTracker(
  config: Pick<Config, 'sentry'>,
  scrubber: Scrubber,
  release?: string,
): ErrorTracker {
  const dsn = config.sentry.dsn;
  if (!dsn) return DISABLED;
  Sentry.init({
    dsn,
    environment: config.sentry.environment,
    tracesSampleRate: config.sentry.tracesSampleRate,
    release,
    // Collect no user info, cookies, headers, bodies or query strings; beforeSend scrubs the rest.
    dataCollection: {
      userInfo: false,
      cookies: false,
      httpHeaders: false,
      httpBodies: [],
      urlQueryParams: false,
    },
    // The service reports unhandled errors itself, once, with a log line, the error metric and the
    // tenant tag; the SDK's own capture of the same errors (process handlers, the Fastify error hook)
    // would win the dedupe and drop those tags.
    integrations: (defaults) => defaults.filter((i) => !SELF_REPORTED.has(i.name)),
    // The service reports what it handles itself; the SDK keeps its default handlers for the rest.
    beforeSend: (event) => scrubSentryEvent(event, scrubber),
    beforeSendTransaction: (event) => scrubSentryTransaction(event, scrubber),
    beforeSendSpan: (span) => scrubSentrySpan(span, scrubber),
  });
  return {
    enabled: true,
    capture(error, tags) {
      try {
        const clean: Record<string, string> = {};
        for (const [k, v] of Object.entries(tags)) if (v !== undefined) clean[k] = v;
        Sentry.captureException(error, { tags: clean });
      } catch {
        // Error tracking must never break the request that failed.
      }
    },
    flush: (timeoutMs = 2000) => Sentry.flush(timeoutMs),
    close: async (timeoutMs = 2000) => {
      await Sentry.close(timeoutMs);
    },
  };
}

/**
 * The trace id of the active, sampled Sentry (OpenTelemetry) span, or undefined: the exemplar the
 * HTTP and webhook duration histograms keep, so a latency panel links to the trace.
 */
export function activeTraceId(): string | undefined {
  const span = Sentry.getActiveSpan();
  if (span === undefined) return undefined;
  const context = span.spanContext();
  return (context.traceFlags & 1) === 1 ? context.traceId : undefined;
}
