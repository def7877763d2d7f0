/**
 * Realistic, reproducible label values for the benchmarks: the platform's closed sets from the
 * catalog, weighted the way production traffic is (most bookings confirmed by phone, most webhooks
 * processed), and generated tenant ids and route templates for the large scrapes.
 */
import {
  BOOKING_SOURCES,
  BOOKING_STATUSES,
  type BookingSource,
  type BookingStatus,
  CALL_STATUSES,
  type WebhookProvider,
  type WebhookStatus,
} from '../../src/metrics/catalog.ts';

/** A seeded PRNG (mulberry32) so every run records the same label sequence. */
export function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function weighted<T>(rand: () => number, items: readonly (readonly [T, number])[]): T {
  const total = items.reduce((s, [, w]) => s + w, 0);
  let r = rand() * total;
  for (const [item, w] of items) {
    r -= w;
    if (r < 0) return item;
  }
  return items[items.length - 1]![0];
}

const STATUS_WEIGHTS: readonly (readonly [BookingStatus, number])[] = [
  ['confirmed', 60],
  ['pending', 10],
  ['rescheduled', 8],
  ['cancelled', 10],
  ['completed', 6],
  ['no_show', 3],
  ['failed', 3],
];
const SOURCE_WEIGHTS: readonly (readonly [BookingSource, number])[] = [
  ['phone', 70],
  ['web', 15],
  ['api', 5],
  ['calcom', 10],
];

/** A power-of-two sized ring of (status, source) pairs; index it with `i & (length - 1)`. */
export function bookingLabels(size = 1024, seed = 1): { status: BookingStatus; source: BookingSource }[] {
  const rand = prng(seed);
  return Array.from({ length: size }, () => ({
    status: weighted(rand, STATUS_WEIGHTS),
    source: weighted(rand, SOURCE_WEIGHTS),
  }));
}

const WEBHOOK_EVENTS: Record<WebhookProvider, readonly (readonly [string, number])[]> = {
  retell: [
    ['call_started', 30],
    ['call_ended', 30],
    ['call_analyzed', 25],
  ],
  calcom: [
    ['BOOKING_CREATED', 8],
    ['BOOKING_CANCELLED', 3],
    ['BOOKING_RESCHEDULED', 3],
    ['MEETING_ENDED', 1],
  ],
};
const WEBHOOK_STATUS_WEIGHTS: readonly (readonly [WebhookStatus, number])[] = [
  ['processed', 90],
  ['duplicate', 5],
  ['failed', 3],
  ['rejected', 1],
  ['invalid', 1],
];

export interface WebhookSample {
  provider: WebhookProvider;
  event: string;
  status: WebhookStatus;
  seconds: number;
}

/** A ring of webhook deliveries with log-normal processing times around 120 ms. */
export function webhookSamples(size = 1024, seed = 2): WebhookSample[] {
  const rand = prng(seed);
  const all: (readonly [readonly [WebhookProvider, string], number])[] = [];
  for (const provider of ['retell', 'calcom'] as const) {
    for (const [event, w] of WEBHOOK_EVENTS[provider]) all.push([[provider, event], w]);
  }
  return Array.from({ length: size }, () => {
    const [provider, event] = weighted(rand, all);
    // Box-Muller for a normal variate, then exp() for a log-normal duration.
    const z = Math.sqrt(-2 * Math.log(1 - rand())) * Math.cos(2 * Math.PI * rand());
    return {
      provider,
      event,
      status: weighted(rand, WEBHOOK_STATUS_WEIGHTS),
      seconds: 0.12 * Math.exp(0.8 * z),
    };
  });
}

/** Tenant ids as the platform writes them (short, never a name, never 7+ digits that look like a phone). */
export function companyIds(n: number): string[] {
  return Array.from({ length: n }, (_, i) => `cmp_${(i + 1296).toString(36)}`);
}

export const CALL_STATUS_VALUES = CALL_STATUSES;

const RESOURCES = [
  'bookings',
  'calls',
  'companies',
  'branches',
  'staff',
  'services',
  'customers',
  'appointments',
  'invoices',
  'webhooks',
  'integrations',
  'calendars',
  'slots',
  'agents',
  'phone-numbers',
  'reports',
  'users',
  'settings',
  'notifications',
  'transcripts',
] as const;
const SUFFIXES = [
  '',
  '/:id',
  '/:id/history',
  '/:id/notes',
  '/:id/status',
  '/export',
  '/search',
  '/:id/attachments',
  '/:id/events',
  '/stats',
] as const;

/** `n` distinct route templates such as `/api/v2/companies/:companyId/bookings/:id/notes`. */
export function routeTemplates(n: number): string[] {
  const out: string[] = [];
  for (let v = 1; out.length < n; v++) {
    for (const r of RESOURCES) {
      for (const s of SUFFIXES) {
        if (out.length >= n) break;
        out.push(`/api/v${v}/companies/:companyId/${r}${s}`);
      }
    }
  }
  return out;
}

export const HTTP_METHODS = ['GET', 'POST', 'PUT', 'PATCH', 'DELETE'] as const;
export const HTTP_STATUSES = [200, 201, 204, 301, 400, 401, 403, 404, 422, 500] as const;

export { BOOKING_SOURCES, BOOKING_STATUSES };
