// Local stand-ins for the SaaS endpoints the service talks to. Each speaks the real wire protocol, so the
// production code under test needs nothing but a different URL.
import { randomUUID } from 'node:crypto';
import { createServer, type IncomingHttpHeaders, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { promisify } from 'node:util';
import { brotliDecompress, gunzip, inflate } from 'node:zlib';
import { simpleParser } from 'mailparser';
import { SMTPServer } from 'smtp-server';
import { waitFor } from './wait.ts';

const gunzipAsync = promisify(gunzip);
const inflateAsync = promisify(inflate);
const brotliAsync = promisify(brotliDecompress);

/** What every sink has: the recorded messages and a way to wait for one. */
export interface Sink<T> {
  port: number;
  /** Everything received so far, oldest first. */
  received: T[];
  /** Resolve with the first received message matching `predicate` (default: any), waiting up to `timeoutMs`. */
  waitFor(predicate?: (message: T) => boolean, timeoutMs?: number): Promise<T>;
  /** Forget what was received. */
  clear(): void;
  stop(): Promise<void>;
}

function sinkBase<T>(what: string): Pick<Sink<T>, 'received' | 'waitFor' | 'clear'> {
  const received: T[] = [];
  return {
    received,
    async waitFor(predicate = () => true, timeoutMs = 10_000) {
      try {
        return await waitFor(() => received.find(predicate), { timeoutMs, intervalMs: 25, what });
      } catch (error) {
        const last =
          received.length === 0 ? '' : `; the last one: ${JSON.stringify(received.at(-1)).slice(0, 800)}`;
        throw new Error(`${(error as Error).message} (${received.length} received, none matched${last})`);
      }
    },
    clear: () => {
      received.length = 0;
    },
  };
}

/** The request body, decompressed according to Content-Encoding. */
async function readBody(req: IncomingMessage): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  const raw = Buffer.concat(chunks);
  const encoding = String(req.headers['content-encoding'] ?? '').toLowerCase();
  if (encoding === 'gzip' || encoding === 'x-gzip') return gunzipAsync(raw);
  if (encoding === 'deflate') return inflateAsync(raw);
  if (encoding === 'br') return brotliAsync(raw);
  // Some clients gzip without saying so.
  if (raw[0] === 0x1f && raw[1] === 0x8b) return gunzipAsync(raw);
  return raw;
}

interface HttpSinkServer {
  port: number;
  url: string;
  close(): Promise<void>;
}

async function listenHttp(
  name: string,
  handle: (req: IncomingMessage, res: ServerResponse, body: Buffer) => Promise<void> | void,
): Promise<HttpSinkServer> {
  const server = createServer((req, res) => {
    readBody(req)
      .then((body) => handle(req, res, body))
      .catch((error: unknown) => {
        if (!res.headersSent) res.writeHead(400, { 'content-type': 'text/plain' });
        res.end(`${name}: ${error instanceof Error ? error.message : String(error)}`);
      });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', resolve);
  });
  // A forgotten stop() must not keep the test process alive.
  server.unref();
  const { port } = server.address() as AddressInfo;
  let closing: Promise<void> | undefined;
  return {
    port,
    url: `http://127.0.0.1:${port}`,
    close: () => {
      closing ??= new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      });
      return closing;
    },
  };
}

// ---------------------------------------------------------------------------------------------------------
// Slack incoming webhooks
// ---------------------------------------------------------------------------------------------------------
export interface SlackPayload {
  text?: string;
  channel?: string;
  username?: string;
  icon_emoji?: string;
  attachments?: { title?: string; title_link?: string; text?: string; color?: string; fallback?: string }[];
  blocks?: unknown[];
  [key: string]: unknown;
}

export interface SlackMessage {
  path: string;
  headers: IncomingHttpHeaders;
  body: SlackPayload;
}

export interface SlackSink extends Sink<SlackMessage> {
  /** The webhook URL to configure (any path under the sink is accepted). */
  url: string;
  /** Answer the next `count` calls with this status and body instead of 200 "ok" (Slack errors). */
  failNext(count: number, status?: number, body?: string): void;
}

export async function startSlackSink(): Promise<SlackSink> {
  const base = sinkBase<SlackMessage>('a Slack webhook call');
  const failures: { status: number; body: string }[] = [];
  const http = await listenHttp('slack sink', (req, res, raw) => {
    if (req.method !== 'POST') {
      res.writeHead(405).end('invalid_method');
      return;
    }
    const failure = failures.shift();
    if (failure) {
      res.writeHead(failure.status, { 'content-type': 'text/plain' }).end(failure.body);
      return;
    }
    const text = raw.toString('utf8');
    const contentType = String(req.headers['content-type'] ?? '');
    let body: SlackPayload;
    try {
      body = contentType.includes('application/x-www-form-urlencoded')
        ? (JSON.parse(new URLSearchParams(text).get('payload') ?? '{}') as SlackPayload)
        : (JSON.parse(text) as SlackPayload);
    } catch {
      res.writeHead(400, { 'content-type': 'text/plain' }).end('invalid_payload');
      return;
    }
    base.received.push({ path: req.url ?? '/', headers: req.headers, body });
    res.writeHead(200, { 'content-type': 'text/plain' }).end('ok');
  });
  return {
    ...base,
    port: http.port,
    url: `${http.url}/services/T00000000/B00000000/XXXXXXXXXXXXXXXXXXXXXXXX`,
    failNext(count, status = 500, body = 'internal_error') {
      for (let i = 0; i < count; i++) failures.push({ status, body });
    },
    stop: http.close,
  };
}

// ---------------------------------------------------------------------------------------------------------
// SMTP
// ---------------------------------------------------------------------------------------------------------
export interface Mail {
  /** Envelope sender (MAIL FROM). */
  envelopeFrom: string;
  /** Envelope recipients (RCPT TO). */
  to: string[];
  /** The From header as text. */
  from: string;
  /** The To header as text. */
  headerTo: string;
  subject: string;
  text: string;
  html: string;
  headers: Record<string, string>;
  /** The username of an AUTH, if the client authenticated. */
  user?: string;
  raw: string;
}

export interface SmtpSink extends Sink<Mail> {
  host: '127.0.0.1';
  /** host:port, the form Alertmanager's `smarthost` wants. */
  smarthost: string;
}

/** An SMTP server without TLS that accepts any (or no) credentials and records each message. */
export async function startSmtpSink(): Promise<SmtpSink> {
  const base = sinkBase<Mail>('an e-mail');
  const server = new SMTPServer({
    authOptional: true,
    allowInsecureAuth: true,
    disabledCommands: ['STARTTLS'],
    logger: false,
    closeTimeout: 500,
    onAuth(auth, _session, callback) {
      callback(null, { user: auth.username ?? 'anonymous' });
    },
    onData(stream, session, callback) {
      const chunks: Buffer[] = [];
      stream.on('data', (chunk: Buffer) => chunks.push(chunk));
      stream.on('error', callback);
      stream.on('end', () => {
        const raw = Buffer.concat(chunks);
        simpleParser(raw)
          .then((mail) => {
            const addressText = (a: typeof mail.to) =>
              a === undefined ? '' : Array.isArray(a) ? a.map((x) => x.text).join(', ') : a.text;
            const headers: Record<string, string> = {};
            for (const line of mail.headerLines)
              headers[line.key] = line.line.slice(line.key.length + 1).trim();
            base.received.push({
              envelopeFrom: session.envelope.mailFrom ? session.envelope.mailFrom.address : '',
              to: session.envelope.rcptTo.map((r) => r.address),
              from: mail.from?.text ?? '',
              headerTo: addressText(mail.to),
              subject: mail.subject ?? '',
              text: mail.text ?? '',
              html: typeof mail.html === 'string' ? mail.html : '',
              headers,
              user: typeof session.user === 'string' ? session.user : undefined,
              raw: raw.toString('utf8'),
            });
            callback();
          })
          .catch((error: Error) => callback(error));
      });
    },
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  server.server.unref();
  const { port } = server.server.address() as AddressInfo;
  let closing: Promise<void> | undefined;
  return {
    ...base,
    host: '127.0.0.1',
    port,
    smarthost: `127.0.0.1:${port}`,
    stop: () => {
      closing ??= new Promise<void>((resolve) => server.close(() => resolve()));
      return closing;
    },
  };
}

// ---------------------------------------------------------------------------------------------------------
// Sentry envelopes
// ---------------------------------------------------------------------------------------------------------
export interface SentryItem {
  header: { type: string; length?: number; [key: string]: unknown };
  /** Parsed JSON when the payload is JSON, else the text. */
  payload: unknown;
}

export interface SentryEnvelope {
  projectId: string;
  header: Record<string, unknown>;
  items: SentryItem[];
}

export interface SentrySink extends Sink<SentryEnvelope> {
  /** A DSN pointing at the sink: http://publickey@127.0.0.1:PORT/1 */
  dsn: string;
  url: string;
  /** Payloads of all items of this type ('event', 'transaction', 'session', ...) received so far. */
  items(type: string): unknown[];
}

/** Split a Sentry envelope: a header line, then per item a header line and a payload (length-prefixed or a line). */
export function parseEnvelope(body: Buffer): { header: Record<string, unknown>; items: SentryItem[] } {
  let offset = 0;
  const readLine = (): Buffer => {
    const end = body.indexOf(0x0a, offset);
    const line = body.subarray(offset, end === -1 ? body.length : end);
    offset = end === -1 ? body.length : end + 1;
    return line;
  };
  const parsePayload = (bytes: Buffer): unknown => {
    const text = bytes.toString('utf8');
    try {
      return JSON.parse(text);
    } catch {
      return text;
    }
  };
  const header = JSON.parse(readLine().toString('utf8')) as Record<string, unknown>;
  const items: SentryItem[] = [];
  while (offset < body.length) {
    const line = readLine().toString('utf8');
    if (line.trim() === '') continue;
    const itemHeader = JSON.parse(line) as SentryItem['header'];
    let payload: Buffer;
    if (typeof itemHeader.length === 'number') {
      payload = body.subarray(offset, offset + itemHeader.length);
      offset += itemHeader.length;
      if (body[offset] === 0x0a) offset++;
    } else {
      payload = readLine();
    }
    items.push({ header: itemHeader, payload: parsePayload(payload) });
  }
  return { header, items };
}

/** Accepts what Sentry SDKs send to the DSN: envelopes at /api/<project>/envelope/ (and legacy /store/). */
export async function startSentrySink(): Promise<SentrySink> {
  const base = sinkBase<SentryEnvelope>('a Sentry envelope');
  const cors = {
    'access-control-allow-origin': '*',
    'access-control-allow-headers': '*',
    'access-control-allow-methods': 'POST, OPTIONS',
  };
  const http = await listenHttp('sentry sink', (req, res, body) => {
    if (req.method === 'OPTIONS') {
      res.writeHead(204, cors).end();
      return;
    }
    const match = /^\/api\/([^/]+)\/(envelope|store)\/?(?:\?.*)?$/.exec(req.url ?? '');
    if (req.method !== 'POST' || !match) {
      res.writeHead(404, cors).end('not a Sentry ingest endpoint');
      return;
    }
    const projectId = match[1] ?? '';
    if (match[2] === 'store') {
      const event = JSON.parse(body.toString('utf8')) as Record<string, unknown>;
      base.received.push({ projectId, header: {}, items: [{ header: { type: 'event' }, payload: event }] });
    } else {
      base.received.push({ projectId, ...parseEnvelope(body) });
    }
    res
      .writeHead(200, { ...cors, 'content-type': 'application/json' })
      .end(JSON.stringify({ id: randomUUID() }));
  });
  return {
    ...base,
    port: http.port,
    url: http.url,
    dsn: `http://publickey@127.0.0.1:${http.port}/1`,
    items: (type) =>
      base.received.flatMap((e) => e.items.filter((i) => i.header.type === type).map((i) => i.payload)),
    stop: http.close,
  };
}

// ---------------------------------------------------------------------------------------------------------
// Loki push API
// ---------------------------------------------------------------------------------------------------------
export interface LokiStream {
  stream: Record<string, string>;
  /** [nanosecond timestamp as text, line, optional structured metadata] */
  values: [string, string, Record<string, string>?][];
}

export interface LokiLine {
  labels: Record<string, string>;
  timestampNs: string;
  line: string;
}

export interface LokiSink extends Sink<LokiStream> {
  /** Base URL to configure as the Loki host: http://127.0.0.1:PORT */
  url: string;
  /** The full push URL: http://127.0.0.1:PORT/loki/api/v1/push */
  pushUrl: string;
  /** Every received line with its stream's labels. */
  lines(): LokiLine[];
}

/** Accepts POST /loki/api/v1/push with a JSON body (optionally gzip); protobuf+snappy is refused with 415. */
export async function startLokiSink(): Promise<LokiSink> {
  const base = sinkBase<LokiStream>('a Loki stream');
  const http = await listenHttp('loki sink', (req, res, body) => {
    const path = (req.url ?? '').split('?')[0];
    if (req.method === 'GET' && path === '/ready') {
      res.writeHead(200).end('ready');
      return;
    }
    if (req.method !== 'POST' || path !== '/loki/api/v1/push') {
      res.writeHead(404).end('404 page not found');
      return;
    }
    const contentType = String(req.headers['content-type'] ?? '');
    if (contentType.includes('protobuf')) {
      res.writeHead(415).end('the test Loki sink only understands JSON pushes (application/json)');
      return;
    }
    const parsed = JSON.parse(body.toString('utf8')) as { streams?: LokiStream[] };
    if (!Array.isArray(parsed.streams)) {
      res.writeHead(400).end('push body has no "streams" array');
      return;
    }
    base.received.push(...parsed.streams);
    res.writeHead(204).end();
  });
  return {
    ...base,
    port: http.port,
    url: http.url,
    pushUrl: `${http.url}/loki/api/v1/push`,
    lines: () =>
      base.received.flatMap((s) =>
        s.values.map(([timestampNs, line]) => ({ labels: s.stream, timestampNs, line })),
      ),
    stop: http.close,
  };
}
