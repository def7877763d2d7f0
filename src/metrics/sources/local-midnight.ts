/**
 * The instant a local day starts in an IANA time zone, correct across DST changes (23- and 25-hour days)
 * and in zones whose clocks skip midnight itself (the day then starts at the first instant that exists).
 */

const formatters = new Map<string, Intl.DateTimeFormat>();

function formatter(timeZone: string): Intl.DateTimeFormat {
  let f = formatters.get(timeZone);
  if (f === undefined) {
    f = new Intl.DateTimeFormat('en-US', {
      timeZone,
      hourCycle: 'h23',
      year: 'numeric',
      month: '2-digit',
      day: '2-digit',
      hour: '2-digit',
      minute: '2-digit',
      second: '2-digit',
    });
    formatters.set(timeZone, f);
  }
  return f;
}

interface WallTime {
  year: number;
  month: number;
  day: number;
  hour: number;
  minute: number;
  second: number;
}

function wallTime(epochMs: number, timeZone: string): WallTime {
  const parts: Record<string, number> = {};
  for (const p of formatter(timeZone).formatToParts(epochMs)) {
    if (p.type !== 'literal') parts[p.type] = Number(p.value);
  }
  return {
    year: parts.year!,
    month: parts.month!,
    day: parts.day!,
    hour: parts.hour!,
    minute: parts.minute!,
    second: parts.second!,
  };
}

/** Offset of the zone from UTC at an instant, in ms (Berlin in summer: +7,200,000). */
function offsetAt(epochMs: number, timeZone: string): number {
  const w = wallTime(epochMs, timeZone);
  const asUtc = Date.UTC(w.year, w.month - 1, w.day, w.hour, w.minute, w.second);
  return asUtc - Math.floor(epochMs / 1000) * 1000;
}

/** The local calendar date of an instant, as `YYYY-MM-DD`. */
export function localDate(epochMs: number, timeZone: string): string {
  const w = wallTime(epochMs, timeZone);
  return `${w.year}-${String(w.month).padStart(2, '0')}-${String(w.day).padStart(2, '0')}`;
}

/**
 * Epoch milliseconds of the start of the local day that contains `now`, in `timeZone`.
 *
 * `startOfLocalDay(Date.parse('2025-03-30T12:00:00Z'), 'Europe/Berlin')` is `2025-03-29T23:00:00Z`
 * (midnight CET, before the clocks jump to CEST that night).
 */
export function startOfLocalDay(now: number, timeZone: string): number {
  const w = wallTime(now, timeZone);
  const wallMidnight = Date.UTC(w.year, w.month - 1, w.day);
  // Two passes settle on the offset in force at midnight rather than the one in force now.
  let t = wallMidnight - offsetAt(now, timeZone);
  t = wallMidnight - offsetAt(t, timeZone);
  const today = localDate(now, timeZone);
  if (localDate(t, timeZone) !== today) {
    // Midnight does not exist (clocks jump from 23:59:59 to 01:00): the day starts after the gap.
    // Step forward to the first instant whose local date is today; gaps are at most a few hours.
    let lo = t;
    let hi = t + 4 * 3_600_000;
    while (localDate(hi, timeZone) !== today) hi += 3_600_000;
    while (hi - lo > 1000) {
      const mid = lo + Math.floor((hi - lo) / 2000) * 1000;
      if (localDate(mid, timeZone) === today) hi = mid;
      else lo = mid;
    }
    return hi;
  }
  return t;
}
