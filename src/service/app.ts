/**
 * The reference AskProAI service: a Fastify app with the metrics middleware, /api/metrics, the Retell
 * and Cal.com webhooks, bookings, the admin pages and their timing beacon.
 *
 * `buildService()` returns the app with its webhook pipeline (the start-up attaches the queue to it);
 * `buildApp()` returns just the app. Both work in-process with `app.inject()`; without a database they
 * open a private in-memory SQLite one with the demo tenant, closed with the app.
 */
import { randomBytes, randomUUID } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import Fastify, {
  type FastifyError,
  type FastifyInstance,
  type FastifyRequest,
  LogController,
} from 'fastify';
import pino from 'pino';
import { allowsDevelopmentDefaults, type Config } from '../config.ts';
import { fastifyMetrics, fastifyMetricsEndpoint } from '../metrics/http/fastify.ts';
import type { Metrics } from '../metrics/index.ts';
import { redactText } from '../metrics/index.ts';
import { createLiveView, fastifyLiveView, type LiveViewOptions } from '../metrics/live/index.ts';
import { DEMO_ENDPOINTS } from '../monitoring/config.ts';
import { sloSpecs } from '../monitoring/slo/specs.ts';
import { applyDemoCredentials } from './auth/demo.ts';
import { accessScope, isAdminRequest, LOGIN_PATH, redirectToLogin, registerAuth } from './auth/index.ts';
import { openDatabase, type ServiceDatabase } from './db/connect.ts';
import { createErrorReporter, type ReportError, ServiceError } from './errors.ts';
import { liveSlosFromSpecs } from './live-slos.ts';
import type { Logger } from './logger.ts';
import { adminRoutes } from './routes/admin.ts';
import { bookingRoutes } from './routes/bookings.ts';
import { rumRoutes } from './routes/rum.ts';
import { webhookRoutes } from './routes/webhooks.ts';
import { resolveSessionSecret, resolveWebhookSecrets } from './secrets.ts';
import type { ErrorTracker } from './sentry.ts';
import { WebhookPipeline } from './webhooks/pipeline.ts';
import type { WebhookSecrets } from './webhooks/types.ts';

export interface AppDeps {
  config: Config;
  metrics: Metrics;
  /** Default: a private in-memory SQLite database with the demo tenant, closed with the app. */
  database?: ServiceDatabase;
  /** Default: a silent logger. */
  logger?: Logger;
  /** Default: from config (demo secrets outside production). */
  secrets?: WebhookSecrets;
  /** Default: SESSION_SECRET, or a per-run one outside production on loopback. */
  sessionSecret?: string;
  /** Error tracking for the default error reporter. */
  tracker?: ErrorTracker;
  /** Default: log + `askproai_errors_total` + the tracker. */
  reportError?: ReportError;
  /** Clock for webhook timestamps and stored times (tests). */
  now?: () => number;
  /** Grants access to the live view at /monitoring besides the metrics token (the admin session). */
  authorizeAdmin?: (request: FastifyRequest) => boolean | Promise<boolean>;
  /** Live view settings beyond config: sampling interval, SLO definitions (`liveSlosFromSpecs(sloSpecs)` from ./live-slos.ts), login redirect. */
  live?: Pick<
    LiveViewOptions,
    'intervalMs' | 'routeSnapshotMs' | 'slos' | 'loginRedirect' | 'alertmanagerTimeoutMs'
  >;
}

/** Where the reference service mounts the live view. */
export const LIVE_VIEW_PATH = '/monitoring';

export interface Service {
  app: FastifyInstance;
  pipeline: WebhookPipeline;
  database: ServiceDatabase;
  logger: Logger;
  reportError: ReportError;
}

/**
 * How long a client may take, and how many may connect at once. A client that trickles bytes is cut
 * off by the headers or request timeout; an idle one by the connection or keep-alive timeout. Node
 * checks these every `connectionsCheckingIntervalMs`, so a slow client is closed within the timeout
 * plus that interval: at most 31 s.
 */
export const SERVER_LIMITS = {
  /** Whole request (headers and body) must arrive within this. */
  requestTimeoutMs: 30_000,
  /** Headers must arrive within this. */
  headersTimeoutMs: 10_000,
  /** A socket with no traffic at all is closed after this. */
  connectionTimeoutMs: 30_000,
  /** An idle keep-alive connection is closed after this. */
  keepAliveTimeoutMs: 5_000,
  connectionsCheckingIntervalMs: 1_000,
  /** Open connections at most; more are refused at accept. */
  maxConnections: 1024,
} as const;

const REQUEST_ID = /^[A-Za-z0-9._:-]{1,64}$/;

/** The path of a URL without its query string, cut to a bound (for logs and labels). */
export function pathOf(url: string | undefined): string | undefined {
  if (url === undefined) return undefined;
  const q = url.indexOf('?');
  return (q < 0 ? url : url.slice(0, q)).slice(0, 256);
}
const TRACEPARENT = /^[\da-f]{2}-([\da-f]{32})-[\da-f]{16}-[\da-f]{2}$/;

/** The W3C trace id of the request when it carries one, else a new one. */
export function traceIdOf(req: IncomingMessage): string {
  const header = req.headers.traceparent;
  const match = typeof header === 'string' ? TRACEPARENT.exec(header.trim().toLowerCase()) : null;
  return match?.[1] ?? randomBytes(16).toString('hex');
}

const NO_TRACKER: ErrorTracker = {
  enabled: false,
  capture() {},
  flush: async () => true,
  close: async () => {},
};

export async function buildService(deps: AppDeps): Promise<Service> {
  const { config, metrics } = deps;
  const logger: Logger = deps.logger ?? pino({ level: 'silent' });
  const ownsDatabase = deps.database === undefined;
  const database = deps.database ?? (await openDatabase('sqlite::memory:'));
  const reportError =
    deps.reportError ??
    createErrorReporter({ logger, collector: metrics.collector, tracker: deps.tracker ?? NO_TRACKER });
  const secrets = deps.secrets ?? resolveWebhookSecrets(config);
  const pipeline = new WebhookPipeline({
    database,
    collector: metrics.collector,
    reportError,
    secrets,
    now: deps.now,
  });

  const app = Fastify({
    loggerInstance: logger,
    requestTimeout: SERVER_LIMITS.requestTimeoutMs,
    connectionTimeout: SERVER_LIMITS.connectionTimeoutMs,
    keepAliveTimeout: SERVER_LIMITS.keepAliveTimeoutMs,
    http: {
      headersTimeout: SERVER_LIMITS.headersTimeoutMs,
      connectionsCheckingInterval: SERVER_LIMITS.connectionsCheckingIntervalMs,
    },
    trustProxy: config.trustProxy,
    logController: new LogController({
      requestIdLogLabel: 'requestId',
      // Scrapes and health checks every few seconds would drown the request log.
      disableRequestLogging: (req) => {
        const path = pathOf(req.url);
        return (
          path === config.metrics.path ||
          path === '/api/health' ||
          path?.startsWith(`${LIVE_VIEW_PATH}/`) === true
        );
      },
    }),
    requestIdHeader: false,
    genReqId: (req) => {
      const incoming = req.headers['x-request-id'];
      return typeof incoming === 'string' && REQUEST_ID.test(incoming) ? incoming : randomUUID();
    },
    childLoggerFactory: (parent, bindings, options, rawReq) =>
      parent.child({ ...bindings, traceId: traceIdOf(rawReq as IncomingMessage) }, options),
  });
  if (ownsDatabase) app.addHook('onClose', async () => database.close());
  app.server.maxConnections = SERVER_LIMITS.maxConnections;
  // First, so its onRequest hook sees every request, also those the auth hooks answer themselves.
  await app.register(fastifyMetrics, { metrics: metrics.http });
  await applyDemoCredentials(database.db, config);
  await registerAuth(app, config, deps.sessionSecret ?? resolveSessionSecret(config), database.db);

  app.addHook('onRequest', async (request, reply) => {
    reply.header('x-request-id', request.id);
  });

  app.setErrorHandler((error: FastifyError, request, reply) => {
    const status = error.statusCode ?? 500;
    // Messages of client errors may echo input (a content type, a header): scrubbed and bounded.
    if (status >= 400 && status < 500)
      return reply.code(status).send({ error: redactText(error.message.slice(0, 200)) });
    const known = error instanceof ServiceError ? error : undefined;
    reportError({
      type: known?.errorType ?? 'unhandled',
      severity: known?.severity ?? 'error',
      error,
      message: known ? known.message : 'unhandled error in request',
      log: request.log,
      fields: { route: request.routeOptions.url ?? 'unmatched', method: request.method },
    });
    return reply.code(500).send({ error: 'Internal Server Error', requestId: request.id });
  });

  // Our own answer for unknown routes: Fastify's default repeats the raw URL (and its query string).
  app.setNotFoundHandler((_request, reply) => reply.code(404).send({ error: 'not found' }));

  app.get(config.metrics.path, fastifyMetricsEndpoint(metrics.endpoint));
  app.get('/api/health', async () => ({ status: 'ok' }));
  const authorizeAdmin = deps.authorizeAdmin ?? isAdminRequest;
  const live = createLiveView({
    slos: liveSlosFromSpecs(sloSpecs),
    loginRedirect: LOGIN_PATH,
    ...deps.live,
    registry: metrics.registry,
    tokens: config.metrics.tokens,
    enabled: config.metrics.enabled,
    http: metrics.http,
    path: LIVE_VIEW_PATH,
    title: 'AskProAI live view',
    alertmanagerUrl: config.alertmanagerUrl,
    authorize: (request) => authorizeAdmin(request as FastifyRequest),
  });
  await app.register(fastifyLiveView(live));

  const scopeOf = (request: Parameters<typeof accessScope>[1]) => accessScope(database.db, request);
  await app.register(webhookRoutes(pipeline, metrics.collector));
  await app.register(bookingRoutes(database, metrics.collector, scopeOf, deps.now));
  await app.register(rumRoutes(metrics.collector, isAdminRequest));
  await app.register(adminRoutes({ isAdmin: isAdminRequest, redirectToLogin }));

  // Demo routes for the simulator and the alert tests, outside production on loopback only: a slow
  // response and a failing one. The generated rules ignore them (DEMO_ENDPOINTS).
  if (allowsDevelopmentDefaults(config)) {
    const [fail, slow] = DEMO_ENDPOINTS as readonly [string, string];
    app.get<{ Querystring: { ms?: string } }>(slow, async (request) => {
      const ms = Math.min(Math.max(Number(request.query.ms ?? 300) || 0, 0), 10_000);
      await new Promise((resolve) => setTimeout(resolve, ms));
      return { sleptMs: ms };
    });
    app.get(fail, async () => {
      throw new ServiceError('This route fails on purpose', 'intentional_failure');
    });
  }

  return { app, pipeline, database, logger, reportError };
}

/** The app alone (see `buildService`). */
export async function buildApp(deps: AppDeps): Promise<FastifyInstance> {
  return (await buildService(deps)).app;
}
