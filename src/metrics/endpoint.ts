/**
 * `/api/metrics` as a framework-free handler: authentication, content negotiation (Prometheus text
 * 0.0.4 or OpenMetrics 1.0) and gzip. Adapters turn it into an Express, Fastify or node:http route.
 */
import { promisify } from 'node:util';
import { gzip as gzipCb } from 'node:zlib';
import { createTokenVerifier } from './auth.ts';
import { CONTENT_TYPES, type ExpositionFormat, negotiateFormat } from './core/exposition.ts';
import type { Registry } from './core/registry.ts';
import { WarningCodes, warnOnce } from './core/warnings.ts';

const gzip = promisify(gzipCb);

export interface EndpointRequest {
  method?: string | undefined;
  headers: Record<string, string | string[] | undefined>;
}

export interface EndpointResponse {
  status: number;
  headers: Record<string, string>;
  body: string | Buffer;
}

export interface MetricsEndpointOptions {
  registry: Registry;
  /** Accepted bearer tokens; several allow rotation. */
  tokens: readonly string[];
  /** False answers 404, as if there were no endpoint (METRICS_ENABLED=false). */
  enabled?: boolean;
  /** Renders the exposition; defaults to the registry's own (cluster primaries aggregate workers here). */
  render?: (format: ExpositionFormat) => string | Promise<string>;
}

export type MetricsEndpoint = (req: EndpointRequest) => Promise<EndpointResponse>;

const UNAUTHORIZED: EndpointResponse = {
  status: 401,
  headers: { 'content-type': 'text/plain; charset=utf-8', 'www-authenticate': 'Bearer realm="metrics"' },
  body: 'Unauthorized: send "Authorization: Bearer <METRICS_AUTH_TOKEN>"\n',
};
const NOT_FOUND: EndpointResponse = {
  status: 404,
  headers: { 'content-type': 'text/plain; charset=utf-8' },
  body: 'Not Found\n',
};

function header(req: EndpointRequest, name: string): string | undefined {
  const v = req.headers[name];
  return Array.isArray(v) ? v.join(',') : v;
}

function acceptsGzip(acceptEncoding: string | undefined): boolean {
  if (!acceptEncoding) return false;
  for (const part of acceptEncoding.split(',')) {
    const [coding, ...params] = part.trim().split(';');
    if (coding?.trim().toLowerCase() !== 'gzip') continue;
    const q = params.map((p) => p.trim()).find((p) => p.startsWith('q='));
    return q === undefined || Number(q.slice(2)) > 0;
  }
  return false;
}

export function createMetricsEndpoint(options: MetricsEndpointOptions): MetricsEndpoint {
  const enabled = options.enabled ?? true;
  if (!enabled) return async () => NOT_FOUND;
  const verifier = createTokenVerifier(options.tokens);
  const registry = options.registry;
  const render = options.render ?? ((format: ExpositionFormat) => registry.expose(format));

  return async function metricsEndpoint(req) {
    const method = (req.method ?? 'GET').toUpperCase();
    if (method !== 'GET' && method !== 'HEAD') {
      return {
        status: 405,
        headers: { allow: 'GET, HEAD', 'content-type': 'text/plain; charset=utf-8' },
        body: 'Method Not Allowed\n',
      };
    }
    if (!verifier.verify(req.headers.authorization)) return UNAUTHORIZED;
    const format = negotiateFormat(header(req, 'accept'));
    let text: string;
    try {
      text = await render(format);
    } catch (err) {
      warnOnce(
        WarningCodes.collectFailed,
        'render',
        `Rendering the metrics failed: ${(err as Error).message}`,
      );
      return {
        status: 500,
        headers: { 'content-type': 'text/plain; charset=utf-8' },
        body: 'Metrics unavailable\n',
      };
    }
    const headers: Record<string, string> = {
      'content-type': CONTENT_TYPES[format],
      'cache-control': 'no-store',
      vary: 'Accept, Accept-Encoding',
    };
    let body: string | Buffer = text;
    if (acceptsGzip(header(req, 'accept-encoding'))) {
      body = await gzip(text);
      headers['content-encoding'] = 'gzip';
    }
    headers['content-length'] = String(Buffer.byteLength(body));
    return { status: 200, headers, body: method === 'HEAD' ? '' : body };
  };
}
