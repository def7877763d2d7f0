/**
 * Text writers: Prometheus text format 0.0.4 and OpenMetrics 1.0, straight from the series cells.
 * Per-series label text is rendered once when the series is created, and histogram bucket suffixes
 * once per family, so a scrape is string concatenation and number formatting only.
 */
import type { AnyFamily, CounterSeries, GaugeSeries, HistogramFamily, HistogramSeries } from './family.ts';

export type ExpositionFormat = 'text' | 'openmetrics';

export const CONTENT_TYPES: Record<ExpositionFormat, string> = {
  text: 'text/plain; version=0.0.4; charset=utf-8',
  openmetrics: 'application/openmetrics-text; version=1.0.0; charset=utf-8',
};

export function formatValue(v: number): string {
  if (Number.isFinite(v)) return '' + v;
  if (v === Number.POSITIVE_INFINITY) return '+Inf';
  if (v === Number.NEGATIVE_INFINITY) return '-Inf';
  return 'NaN';
}

function escapeHelp(help: string, openMetrics: boolean): string {
  let out = help.replace(/\\/g, '\\\\').replace(/\n/g, '\\n');
  if (openMetrics) out = out.replace(/"/g, '\\"');
  return out;
}

const bucketSuffixCache = new WeakMap<HistogramFamily, string[]>();

/** `le="0.005"} ` for every bound and `le="+Inf"} ` last. */
function bucketSuffixes(family: HistogramFamily): string[] {
  let s = bucketSuffixCache.get(family);
  if (s === undefined) {
    s = Array.from(family.bounds, (b) => `le="${formatValue(b)}"} `);
    s.push('le="+Inf"} ');
    bucketSuffixCache.set(family, s);
  }
  return s;
}

/** The family name OpenMetrics declares: counters drop their `_total` suffix there. */
function openMetricsFamilyName(family: AnyFamily): string {
  return family.type === 'counter' && family.name.endsWith('_total') ? family.name.slice(0, -6) : family.name;
}

/**
 * Appends one family to `out`. A family without series still declares its `# HELP` and `# TYPE` (as
 * prom-client does), so a fresh deployment shows every metric it will ever expose.
 */
export function writeFamily(out: string, family: AnyFamily, format: ExpositionFormat): string {
  const om = format === 'openmetrics';
  const declared = om ? openMetricsFamilyName(family) : family.name;
  out += `# HELP ${declared} ${escapeHelp(family.help, om)}\n# TYPE ${declared} ${family.type}\n`;
  if (family.series.size === 0) return out;
  if (family.type === 'histogram') {
    for (const s of family.series.values()) out = writeHistogramSeries(out, family, s, om);
    return out;
  }
  for (const s of family.series.values()) out = writeValueSeries(out, family.name, s);
  return out;
}

function writeHistogramSeries(out: string, family: HistogramFamily, s: HistogramSeries, om: boolean): string {
  const name = family.name;
  const suffixes = bucketSuffixes(family);
  const last = suffixes.length - 1;
  const open = s.labelText === '' ? '{' : `{${s.labelText},`;
  const bucketPrefix = `${name}_bucket${open}`;
  const data = s.store.data;
  const offset = s.offset;
  let cum = 0;
  const exemplars = om ? s.exemplars : undefined;
  for (let i = 0; i <= last; i++) {
    cum += data[offset + i]!;
    const e = exemplars?.[i];
    out +=
      e === undefined
        ? bucketPrefix + suffixes[i] + cum + '\n'
        : `${bucketPrefix}${suffixes[i]}${cum} # {trace_id="${e.traceId}"} ${formatValue(e.value)} ${e.timeMs / 1000}\n`;
  }
  const labels = s.labelText === '' ? ' ' : `{${s.labelText}} `;
  return out + `${name}_sum${labels}${formatValue(s.sum)}\n${name}_count${labels}${cum}\n`;
}

function writeValueSeries(out: string, name: string, s: CounterSeries | GaugeSeries): string {
  return (
    out +
    (s.labelText === ''
      ? `${name} ${formatValue(s.value)}\n`
      : `${name}{${s.labelText}} ${formatValue(s.value)}\n`)
  );
}

export function writeFamilies(families: Iterable<AnyFamily>, format: ExpositionFormat): string {
  let out = '';
  for (const f of families) out = writeFamily(out, f, format);
  if (format === 'openmetrics') out += '# EOF\n';
  return out;
}

export interface SliceOptions {
  /** The longest stretch of rendering between two yields to the event loop, in ms. Default 2. */
  sliceMs?: number;
  /**
   * Receives each piece of the UTF-8 text as soon as it is encoded, instead of collecting them (the
   * result is then empty); rendering waits for a returned promise, so a consumer such as a gzip
   * stream can hold it back while it catches up.
   */
  onChunk?: (chunk: Buffer) => void | Promise<void>;
}

/**
 * Lines rendered between two looks at the clock: a few tens of µs of work, whatever the shape of
 * the registry (a histogram series is its bucket count plus two lines, a counter one line).
 */
const LINES_PER_CHECK = 256;
/**
 * Text kept as one string before it is encoded (UTF-16 units). Kept small, so the flat copy that
 * encoding makes is an ordinary young-generation allocation that dies at once, instead of a large
 * object that only a full garbage collection frees.
 */
const CHUNK_CHARS = 32 * 1024;
const yieldToEventLoop = () => new Promise<void>((resolve) => setImmediate(resolve));

/**
 * The same text as `writeFamilies`, rendered in slices: after at most `sliceMs` of rendering (plus
 * one batch of `LINES_PER_CHECK` lines) it yields to the event loop with `setImmediate`, so requests
 * and timers run between slices however large the registry or a single family is. The text is
 * encoded in pieces of about `CHUNK_CHARS` as it is rendered, so no step later flattens or encodes
 * the whole exposition: the result is the UTF-8 text as a list of buffers (or, with `onChunk`, each
 * buffer handed over as it is made). Series added while a scrape is under way may or may not be
 * included.
 */
export async function writeFamiliesSliced(
  families: Iterable<AnyFamily>,
  format: ExpositionFormat,
  options: SliceOptions = {},
): Promise<Buffer[]> {
  const sliceMs = options.sliceMs ?? 2;
  const onChunk = options.onChunk;
  const om = format === 'openmetrics';
  const chunks: Buffer[] = [];
  let out = '';
  let deadline = performance.now() + sliceMs;
  let lines = 0;
  const emit = async () => {
    if (out.length === 0) return;
    const chunk = Buffer.from(out, 'utf8');
    out = '';
    if (onChunk === undefined) chunks.push(chunk);
    else await onChunk(chunk);
  };
  /** Once per batch of lines: encode what is long enough, and yield when the slice's time is up. */
  const checkpoint = async () => {
    lines = 0;
    if (out.length >= CHUNK_CHARS) await emit();
    if (performance.now() >= deadline) {
      await emit();
      await yieldToEventLoop();
      deadline = performance.now() + sliceMs;
    }
  };
  for (const family of families) {
    const declared = om ? openMetricsFamilyName(family) : family.name;
    out += `# HELP ${declared} ${escapeHelp(family.help, om)}\n# TYPE ${declared} ${family.type}\n`;
    lines += 2;
    if (family.type === 'histogram') {
      const perSeries = family.bounds.length + 3;
      for (const s of family.series.values()) {
        out = writeHistogramSeries(out, family, s, om);
        lines += perSeries;
        if (lines >= LINES_PER_CHECK) await checkpoint();
      }
    } else {
      const name = family.name;
      for (const s of (family as Exclude<AnyFamily, HistogramFamily>).series.values()) {
        out = writeValueSeries(out, name, s);
        if (++lines >= LINES_PER_CHECK) await checkpoint();
      }
    }
    if (lines >= LINES_PER_CHECK) await checkpoint();
  }
  if (om) out += '# EOF\n';
  await emit();
  return chunks;
}

/**
 * Picks the format from an Accept header by q-value; OpenMetrics wins ties since Prometheus
 * lists it first when it can parse it.
 */
export function negotiateFormat(accept: string | undefined): ExpositionFormat {
  if (!accept?.includes('openmetrics')) return 'text';
  let om = -1;
  let text = -1;
  for (const part of accept.split(',')) {
    const [type, ...params] = part.trim().split(';');
    let q = 1;
    for (const p of params) {
      const [k, v] = p.trim().split('=');
      if (k === 'q' && v !== undefined) q = Number(v);
    }
    if (!Number.isFinite(q)) continue;
    const t = type?.trim().toLowerCase();
    if (t === 'application/openmetrics-text') om = Math.max(om, q);
    else if (t === 'text/plain' || t === '*/*' || t === 'text/*') text = Math.max(text, q);
  }
  return om > 0 && om >= text ? 'openmetrics' : 'text';
}
