/**
 * The one place errors are reported: a log line, `askproai_errors_total{type,severity}` and, for errors
 * and critical ones, a Sentry event tagged with the tenant. Routing every error through here keeps the
 * logs, the metric and the error tracker in agreement.
 */
import type { MetricsCollector, Severity } from '../metrics/index.ts';
import type { Logger } from './logger.ts';
import type { ErrorTracker } from './sentry.ts';

/**
 * The error types the service reports; a closed list so the `type` label stays bounded. Each type's
 * series start at 0 for every severity (the first error after a start counts).
 */
export const ERROR_TYPES = [
  'unhandled',
  'intentional_failure',
  'webhook_failed',
  'webhook_claim_release_failed',
  'queue_unavailable',
] as const;
export type ErrorType = (typeof ERROR_TYPES)[number];

export interface ErrorReport {
  type: ErrorType;
  severity: Severity;
  /** The caught error, if any. */
  error?: unknown;
  /** A short fixed message; details belong in `error`. */
  message: string;
  /** The tenant (company id), when known. */
  tenant?: string | undefined;
  /** The request's logger (carries request and trace ids); defaults to the service logger. */
  log?: Logger;
  /** Extra log fields (no PII; the logger scrubs anyway). */
  fields?: Record<string, unknown>;
}

export type ReportError = (report: ErrorReport) => void;

/** An error that already knows its reporting type and severity (thrown by routes). */
export class ServiceError extends Error {
  override name = 'ServiceError';
  constructor(
    message: string,
    readonly errorType: ErrorType,
    readonly severity: Severity = 'error',
  ) {
    super(message);
  }
}

export function createErrorReporter(deps: {
  logger: Logger;
  collector: MetricsCollector;
  tracker: ErrorTracker;
}): ReportError {
  const { logger, collector, tracker } = deps;
  collector.startErrorSeries(ERROR_TYPES);
  return function reportError(report) {
    const log = report.log ?? logger;
    const fields = {
      ...report.fields,
      errorType: report.type,
      severity: report.severity,
      tenant: report.tenant,
      err: report.error,
    };
    if (report.severity === 'critical') log.fatal(fields, report.message);
    else if (report.severity === 'error') log.error(fields, report.message);
    else if (report.severity === 'warning') log.warn(fields, report.message);
    else log.info(fields, report.message);
    collector.recordError(report.type, report.severity);
    if (report.severity === 'critical' || report.severity === 'error') {
      tracker.capture(report.error ?? new Error(report.message), {
        tenant: report.tenant,
        error_type: report.type,
        severity: report.severity,
      });
    }
  };
}
