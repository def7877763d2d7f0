/**
 * Traffic for a running service: signed Retell call flows (started, ended, analyzed), Cal.com bookings
 * (created, some needing confirmation, rescheduled, cancelled), provider retries of the same delivery,
 * admin API reads and writes, and optional shares of slow and failing requests. Paced at a fixed rate,
 * bounded in count and time, and only against loopback unless explicitly allowed.
 */
import { randomInt } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import { DEMO_COMPANY, DEMO_CREDENTIALS } from './demo.ts';
import {
  calcomEvent,
  calcomUid,
  retellCallId,
  retellEvent,
  signedCalcom,
  signedRetell,
} from './webhooks/samples.ts';

export const MAX_RATE = 500;
export const MAX_DURATION_SECONDS = 3600;
const MAX_IN_FLIGHT = 64;

export type RequestKind = 'retell' | 'calcom' | 'retry' | 'api' | 'slow' | 'fail';
export const REQUEST_KINDS: readonly RequestKind[] = ['retell', 'calcom', 'retry', 'api', 'slow', 'fail'];

export interface SimulateOptions {
  url: string;
  /** Requests per second (1..500). */
  rate: number;
  /** Seconds (1..3600). */
  durationSeconds: number;
  /** Share of slow requests (0..1), default 0. */
  slowShare?: number;
  /** Share of failing requests (0..1), default 0. */
  failShare?: number;
  retellApiKey: string;
  calcomWebhookSecret: string;
  /** The demo tenant's API key for /api/bookings and /api/calls (default: the development demo key). */
  apiKey?: string;
  /** Allow a non-loopback URL. */
  allowRemote?: boolean;
  /** Called about every 250 ms and at the end. */
  onProgress?: (stats: SimulationStats) => void;
  signal?: AbortSignal;
}

export interface KindStats {
  sent: number;
  /** Responses by status class: 2xx, 4xx, 5xx. */
  ok: number;
  clientErrors: number;
  serverErrors: number;
  /** No response (connection refused, timeout). */
  networkErrors: number;
  latenciesMs: number[];
}

export interface SimulationStats {
  planned: number;
  sent: number;
  completed: number;
  /** Skipped because too many requests were still in flight (the service is saturated). */
  skipped: number;
  elapsedMs: number;
  byKind: Record<RequestKind, KindStats>;
}

/** Checks options; throws a message naming the bad one. */
export function validateSimulateOptions(o: SimulateOptions): URL {
  let url: URL;
  try {
    url = new URL(o.url);
  } catch {
    throw new Error(`--url: expected a URL such as http://127.0.0.1:8080, got ${JSON.stringify(o.url)}`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:')
    throw new Error('--url: expected http:// or https://');
  const host = url.hostname.replace(/^\[|\]$/g, '');
  const loopback = host === 'localhost' || host === '::1' || /^127\.\d+\.\d+\.\d+$/.test(host);
  if (!loopback && !o.allowRemote) {
    throw new Error(
      `--url: ${host} is not a loopback address; pass --allow-remote to send traffic to another host`,
    );
  }
  if (!(Number.isFinite(o.rate) && o.rate >= 1 && o.rate <= MAX_RATE))
    throw new Error(`--rate: expected 1 to ${MAX_RATE} requests per second`);
  if (
    !(
      Number.isFinite(o.durationSeconds) &&
      o.durationSeconds >= 1 &&
      o.durationSeconds <= MAX_DURATION_SECONDS
    )
  ) {
    throw new Error(`--duration: expected 1 to ${MAX_DURATION_SECONDS} seconds`);
  }
  for (const [name, v] of [
    ['--slow-share', o.slowShare ?? 0],
    ['--fail-share', o.failShare ?? 0],
  ] as const) {
    if (!(v >= 0 && v <= 1)) throw new Error(`${name}: expected a share from 0 to 1`);
  }
  if ((o.slowShare ?? 0) + (o.failShare ?? 0) > 1)
    throw new Error('--slow-share plus --fail-share must not exceed 1');
  return url;
}

interface Delivery {
  path: string;
  body: string;
  headers: Record<string, string>;
  provider: 'retell' | 'calcom';
  raw: unknown;
}

const DISCONNECTS: [string, number][] = [
  ['user_hangup', 60],
  ['agent_hangup', 15],
  ['voicemail_reached', 8],
  ['dial_no_answer', 7],
  ['dial_busy', 4],
  ['call_transfer', 4],
  ['error_llm_websocket_lost_connection', 2],
];

function weighted<T>(choices: [T, number][]): T {
  const total = choices.reduce((s, [, w]) => s + w, 0);
  let r = Math.random() * total;
  for (const [v, w] of choices) {
    r -= w;
    if (r < 0) return v;
  }
  return choices[choices.length - 1]![0];
}

/** The traffic model: keeps open calls and known bookings so follow-up events refer to real ones. */
class TrafficModel {
  private openCalls: { id: string; startMs: number }[] = [];
  private endedCalls: { id: string; startMs: number; reason: string }[] = [];
  private bookings: string[] = [];
  private recent: Delivery[] = [];
  private bookingIds: string[] = [];

  constructor(private readonly o: SimulateOptions) {}

  next(kind: RequestKind): {
    method: string;
    path: string;
    body?: string;
    headers?: Record<string, string>;
    delivery?: Delivery;
  } {
    switch (kind) {
      case 'retell':
        return this.wrap(this.retell());
      case 'calcom':
        return this.wrap(this.calcom());
      case 'retry': {
        const d = this.recent[randomInt(0, Math.max(1, this.recent.length))];
        if (!d) return this.wrap(this.calcom());
        // A provider retry: the same body; Retell signs it again with a fresh timestamp.
        const again =
          d.provider === 'retell'
            ? signedRetell(d.body, this.o.retellApiKey)
            : signedCalcom(d.body, this.o.calcomWebhookSecret);
        return { method: 'POST', path: d.path, body: again.body, headers: again.headers };
      }
      case 'slow':
        return { method: 'GET', path: `/api/demo/slow?ms=${randomInt(300, 1200)}` };
      case 'fail':
        return { method: 'GET', path: '/api/fail' };
      default:
        return this.api();
    }
  }

  remember(bookingId: string): void {
    this.bookingIds.push(bookingId);
    if (this.bookingIds.length > 200) this.bookingIds.shift();
  }

  private wrap(d: Delivery) {
    this.recent.push(d);
    if (this.recent.length > 50) this.recent.shift();
    return { method: 'POST', path: d.path, body: d.body, headers: d.headers, delivery: d };
  }

  private retell(): Delivery {
    const r = Math.random();
    let body: Record<string, unknown>;
    if (this.endedCalls.length > 0 && r < 0.25) {
      const c = this.endedCalls.shift()!;
      body = retellEvent('call_analyzed', {
        callId: c.id,
        startMs: c.startMs,
        disconnectionReason: c.reason,
      });
    } else if (this.openCalls.length > 2 || (this.openCalls.length > 0 && r < 0.6)) {
      const c = this.openCalls.shift()!;
      const reason = weighted(DISCONNECTS);
      body = retellEvent('call_ended', {
        callId: c.id,
        startMs: c.startMs,
        durationMs: Math.max(1000, Date.now() - c.startMs),
        disconnectionReason: reason,
        callStatus: reason.startsWith('error_') ? 'error' : 'ended',
      });
      if (!reason.startsWith('dial_')) this.endedCalls.push({ id: c.id, startMs: c.startMs, reason });
    } else {
      const c = { id: retellCallId(), startMs: Date.now() };
      this.openCalls.push(c);
      body = retellEvent('call_started', { callId: c.id, startMs: c.startMs });
    }
    const s = signedRetell(body, this.o.retellApiKey);
    return { path: '/api/webhooks/retell', provider: 'retell', raw: body, ...s };
  }

  private calcom(): Delivery {
    const r = Math.random();
    let body: Record<string, unknown>;
    if (this.bookings.length > 3 && r < 0.15) {
      const old = this.bookings.splice(randomInt(0, this.bookings.length), 1)[0]!;
      const uid = calcomUid();
      this.bookings.push(uid);
      body = calcomEvent('BOOKING_RESCHEDULED', { uid, rescheduleUid: old });
    } else if (this.bookings.length > 3 && r < 0.3) {
      const uid = this.bookings.splice(randomInt(0, this.bookings.length), 1)[0]!;
      body = calcomEvent('BOOKING_CANCELLED', { uid });
    } else {
      const uid = calcomUid();
      this.bookings.push(uid);
      if (this.bookings.length > 500) this.bookings.shift();
      const source = weighted<'phone' | 'web' | undefined>([
        ['phone', 50],
        ['web', 30],
        [undefined, 20],
      ]);
      body = calcomEvent('BOOKING_CREATED', { uid, requiresConfirmation: Math.random() < 0.1, source });
    }
    const s = signedCalcom(body, this.o.calcomWebhookSecret);
    return { path: '/api/webhooks/calcom', provider: 'calcom', raw: body, ...s };
  }

  private api(): { method: string; path: string; body?: string; headers?: Record<string, string> } {
    const req = this.apiRequest();
    return {
      ...req,
      headers: { ...req.headers, authorization: `Bearer ${this.o.apiKey ?? DEMO_CREDENTIALS.apiKey}` },
    };
  }

  private apiRequest(): { method: string; path: string; body?: string; headers?: Record<string, string> } {
    const r = Math.random();
    if (r < 0.3) {
      const body = JSON.stringify({
        companyId: DEMO_COMPANY.id,
        source: weighted<'phone' | 'web' | 'api'>([
          ['phone', 40],
          ['web', 30],
          ['api', 30],
        ]),
        startTime: new Date(Date.now() + randomInt(1, 14) * 86_400_000).toISOString(),
      });
      return { method: 'POST', path: '/api/bookings', body, headers: { 'content-type': 'application/json' } };
    }
    if (r < 0.6 && this.bookingIds.length > 0) {
      return {
        method: 'GET',
        path: `/api/bookings/${this.bookingIds[randomInt(0, this.bookingIds.length)]}`,
      };
    }
    if (r < 0.8) return { method: 'GET', path: `/api/bookings?companyId=${DEMO_COMPANY.id}&limit=20` };
    return { method: 'GET', path: '/api/calls?limit=20' };
  }
}

function emptyKind(): KindStats {
  return { sent: 0, ok: 0, clientErrors: 0, serverErrors: 0, networkErrors: 0, latenciesMs: [] };
}

/** Picks the kind of the next request from the configured shares. */
function pickKind(slowShare: number, failShare: number): RequestKind {
  const r = Math.random();
  if (r < slowShare) return 'slow';
  if (r < slowShare + failShare) return 'fail';
  return weighted<RequestKind>([
    ['retell', 40],
    ['calcom', 30],
    ['api', 25],
    ['retry', 5],
  ]);
}

/** Runs the simulation; resolves with the statistics when the duration is over and requests settled. */
export async function simulate(o: SimulateOptions): Promise<SimulationStats> {
  const base = validateSimulateOptions(o);
  const planned = Math.round(o.rate * o.durationSeconds);
  const stats: SimulationStats = {
    planned,
    sent: 0,
    completed: 0,
    skipped: 0,
    elapsedMs: 0,
    byKind: Object.fromEntries(REQUEST_KINDS.map((k) => [k, emptyKind()])) as Record<RequestKind, KindStats>,
  };
  const model = new TrafficModel(o);
  const inFlight = new Set<Promise<void>>();
  const started = performance.now();
  const interval = 1000 / o.rate;
  let lastProgress = 0;

  const fire = (kind: RequestKind) => {
    const req = model.next(kind);
    const ks = stats.byKind[kind];
    ks.sent++;
    stats.sent++;
    const t0 = performance.now();
    const p = fetch(new URL(req.path, base), {
      method: req.method,
      body: req.body,
      headers: req.headers,
      signal: AbortSignal.timeout(15_000),
    })
      .then(async (res) => {
        const text = await res.text();
        ks.latenciesMs.push(performance.now() - t0);
        if (res.status < 400) ks.ok++;
        else if (res.status < 500) ks.clientErrors++;
        else ks.serverErrors++;
        if (res.status === 201 && req.path === '/api/bookings') {
          try {
            model.remember((JSON.parse(text) as { id: string }).id);
          } catch {
            // Not JSON: nothing to remember.
          }
        }
      })
      .catch(() => {
        ks.networkErrors++;
      })
      .finally(() => {
        stats.completed++;
        inFlight.delete(p);
      });
    inFlight.add(p);
  };

  for (let i = 0; i < planned; i++) {
    if (o.signal?.aborted) break;
    const due = started + i * interval;
    const wait = due - performance.now();
    if (wait > 0) await new Promise((r) => setTimeout(r, wait));
    if (inFlight.size >= MAX_IN_FLIGHT) stats.skipped++;
    else fire(pickKind(o.slowShare ?? 0, o.failShare ?? 0));
    const now = performance.now();
    if (o.onProgress && now - lastProgress >= 250) {
      lastProgress = now;
      stats.elapsedMs = now - started;
      o.onProgress(stats);
    }
  }
  await Promise.allSettled([...inFlight]);
  stats.elapsedMs = performance.now() - started;
  o.onProgress?.(stats);
  return stats;
}

/** The q-quantile (0..1) of a list of numbers; NaN when empty. */
export function quantile(values: readonly number[], q: number): number {
  if (values.length === 0) return Number.NaN;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1))]!;
}
