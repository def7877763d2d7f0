/**
 * Text writers: Prometheus text format 0.0.4 and OpenMetrics 1.0, straight from the series cells.
 * Per-series label text is rendered once when the series is created, and histogram bucket suffixes
 * once per family. `writeFamilies` builds a string (single-shot `expose()`); the sliced rendering that
 * `/api/metrics` serves writes the same bytes straight into pooled buffers (text-buffer.ts).
 */
import type {
  AnyFamily,
  CounterSeries,
  Exemplar,
  GaugeSeries,
  HistogramFamily,
  HistogramSeries,
} from './family.ts';
import { BufferPool, TextBuffers } from './text-buffer.ts';

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

/** ` # {trace_id="…"} value timestamp`, after a bucket's count (OpenMetrics only). */
function exemplarText(e: Exemplar): string {
  return ` # {trace_id="${e.traceId}"} ${formatValue(e.value)} ${e.timeMs / 1000}`;
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
        : `${bucketPrefix}${suffixes[i]}${cum}${exemplarText(e)}\n`;
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
   * Receives each piece of the UTF-8 text as soon as it is written, instead of collecting them (the
   * result is then empty); rendering waits for a returned promise, so a consumer such as a gzip
   * stream can hold it back while it catches up. The piece's buffer is reused for a later piece once
   * the consumer calls `release`: it must not touch the bytes after that. A consumer that keeps the
   * bytes never calls it.
   */
  onChunk?: (chunk: Buffer, release: () => void) => void | Promise<void>;
}

/**
 * Lines rendered between two looks at the clock: a few tens of µs of work, whatever the shape of
 * the registry (a histogram series is its bucket count plus two lines, a counter one line).
 */
const LINES_PER_CHECK = 256;
/** Buffers handed to `onChunk` consumers come back here; 32 pieces (2 MB) are kept at most. */
const POOL = new BufferPool(32);
const yieldToEventLoop = () => new Promise<void>((resolve) => setImmediate(resolve));

const COMMA = 0x2c;
const SPACE = 0x20;
const OPEN = 0x7b;
const CLOSE = 0x7d;
/** Upper bound of the bytes `TextBuffers.value` writes. */
const VALUE_BYTES = 25;

/** A family's fixed text, encoded once. */
interface Layout {
  name: Buffer;
  bucketOpen: Buffer;
  sum: Buffer;
  count: Buffer;
  suffixes: Buffer[];
  longestSuffix: number;
}
const layouts = new WeakMap<AnyFamily, Layout>();

function layoutOf(family: AnyFamily): Layout {
  let l = layouts.get(family);
  if (l === undefined) {
    const suffixes = family.type === 'histogram' ? bucketSuffixes(family).map((x) => Buffer.from(x)) : [];
    l = {
      name: Buffer.from(family.name),
      bucketOpen: Buffer.from(`${family.name}_bucket{`),
      sum: Buffer.from(`${family.name}_sum`),
      count: Buffer.from(`${family.name}_count`),
      suffixes,
      longestSuffix: Math.max(0, ...suffixes.map((x) => x.length)),
    };
    layouts.set(family, l);
  }
  return l;
}

function writeHistogramBytes(w: TextBuffers, l: Layout, s: HistogramSeries, om: boolean): void {
  const labels = s.labelText;
  const labelBytes = 3 * labels.length;
  const exemplars = om ? s.exemplars : undefined;
  let exemplarBytes = 0;
  if (exemplars !== undefined) for (const e of exemplars) if (e) exemplarBytes += 3 * e.traceId.length + 80;
  const buckets = l.suffixes.length;
  w.room(
    buckets * (l.bucketOpen.length + labelBytes + 1 + l.longestSuffix + VALUE_BYTES + 1) +
      2 * (l.count.length + labelBytes + 3 + VALUE_BYTES + 1) +
      exemplarBytes,
  );
  // `name_bucket{labels,` once, then copied for every further bucket.
  const start = w.pos;
  w.bytes(l.bucketOpen);
  if (labels !== '') {
    w.text(labels);
    w.byte(COMMA);
  }
  const end = w.pos;
  const data = s.store.data;
  const offset = s.offset;
  let cum = 0;
  for (let i = 0; i < buckets; i++) {
    if (i > 0) w.again(start, end);
    w.bytes(l.suffixes[i]!);
    cum += data[offset + i]!;
    w.value(cum);
    const e = exemplars?.[i];
    if (e !== undefined) w.text(exemplarText(e));
    w.newline();
  }
  const labelsStart = start + l.bucketOpen.length;
  writeTail(w, l.sum, labels, labelsStart, end - 1, s.sum);
  writeTail(w, l.count, labels, labelsStart, end - 1, cum);
}

/** `name_sum{labels} v` or `name_count{labels} v`, the labels copied from the series' bucket lines. */
function writeTail(w: TextBuffers, head: Buffer, labels: string, from: number, to: number, v: number): void {
  w.bytes(head);
  if (labels !== '') {
    w.byte(OPEN);
    w.again(from, to);
    w.byte(CLOSE);
  }
  w.byte(SPACE);
  w.value(v);
  w.newline();
}

function writeValueBytes(w: TextBuffers, l: Layout, s: CounterSeries | GaugeSeries): void {
  const labels = s.labelText;
  w.room(l.name.length + 3 * labels.length + 3 + VALUE_BYTES + 1);
  w.bytes(l.name);
  if (labels !== '') {
    w.byte(OPEN);
    w.text(labels);
    w.byte(CLOSE);
  }
  w.byte(SPACE);
  w.value(s.value);
  w.newline();
}

/** Where a sliced rendering stands between two batches of lines. */
interface Cursor {
  readonly families: Iterator<AnyFamily>;
  family: AnyFamily | null;
  layout: Layout | null;
  /**
   * The current family's series, taken as an array when the family starts (one allocation, where
   * stepping a Map iterator across the batches would allocate a result object per series); null
   * between families.
   */
  series: ReadonlyArray<HistogramSeries | CounterSeries | GaugeSeries> | null;
  next: number;
}

function writeHead(w: TextBuffers, family: AnyFamily, om: boolean): void {
  const declared = om ? openMetricsFamilyName(family) : family.name;
  const head = `# HELP ${declared} ${escapeHelp(family.help, om)}\n# TYPE ${declared} ${family.type}\n`;
  w.room(3 * head.length);
  w.text(head);
}

/**
 * Writes at least `LINES_PER_CHECK` lines from where the cursor stands (whole series, so a little
 * more), or everything that is left; false once the last family is written. Synchronous, so the
 * async driver below only looks at the clock and hands pieces over between two calls.
 */
function writeLines(c: Cursor, w: TextBuffers, om: boolean): boolean {
  let lines = 0;
  for (;;) {
    let series = c.series;
    if (series === null) {
      const next = c.families.next();
      if (next.done === true) return false;
      const family = next.value;
      writeHead(w, family, om);
      lines += 2;
      c.family = family;
      c.layout = layoutOf(family);
      series = c.series = Array.from<HistogramSeries | CounterSeries | GaugeSeries>(family.series.values());
      c.next = 0;
    }
    const l = c.layout!;
    const n = series.length;
    let i = c.next;
    if (c.family!.type === 'histogram') {
      const perSeries = l.suffixes.length + 2;
      while (i < n) {
        writeHistogramBytes(w, l, series[i++] as HistogramSeries, om);
        lines += perSeries;
        if (lines >= LINES_PER_CHECK) break;
      }
    } else {
      while (i < n) {
        writeValueBytes(w, l, series[i++] as CounterSeries | GaugeSeries);
        if (++lines >= LINES_PER_CHECK) break;
      }
    }
    c.next = i;
    if (i === n) c.series = null;
    if (lines >= LINES_PER_CHECK) return true;
  }
}

/**
 * The same text as `writeFamilies`, rendered in slices: after at most `sliceMs` of rendering (plus
 * one batch of `LINES_PER_CHECK` lines) it yields to the event loop with `setImmediate`, so requests
 * and timers run between slices however large the registry or a single family is. The text is
 * written as UTF-8 straight into buffers of `PIECE_BYTES` (see text-buffer.ts), so a scrape makes
 * almost no garbage and nothing later joins or encodes the whole exposition: the result is the
 * list of pieces (or, with `onChunk`, each piece handed over as it is finished, from a pool of
 * reused buffers). Series added while a scrape is under way may or may not be included.
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
  const w = new TextBuffers(onChunk ? POOL : null);
  /**
   * Hands the finished pieces over; a promise only when a consumer asked to be waited for, so the
   * common case allocates none.
   */
  const handOver = (): Promise<void> | undefined => {
    const done = w.done;
    while (done.length > 0) {
      const piece = done.shift()!;
      if (onChunk === undefined) {
        chunks.push(piece.bytes);
        continue;
      }
      const wait = onChunk(piece.bytes, piece.release);
      if (wait !== undefined) return wait.then(handOver);
    }
    return undefined;
  };
  const c: Cursor = {
    families: families[Symbol.iterator](),
    family: null,
    layout: null,
    series: null,
    next: 0,
  };
  // Called from a request's callback (the poll phase): rendering there and again after the first
  // yield would hold that turn of the loop for two slices. Every slice runs in a check phase.
  await yieldToEventLoop();
  let deadline = performance.now() + sliceMs;
  while (writeLines(c, w, om)) {
    if (performance.now() >= deadline) {
      w.finish();
      await handOver();
      await yieldToEventLoop();
      deadline = performance.now() + sliceMs;
    } else if (w.done.length > 0) {
      const wait = handOver();
      if (wait !== undefined) {
        // The consumer's callback (a socket's or zlib's, in the poll phase) resumed us: go on in the
        // check phase with a fresh slice, so no turn of the loop runs a slice here and another there.
        await wait;
        await yieldToEventLoop();
        deadline = performance.now() + sliceMs;
      }
    }
  }
  if (om) {
    w.room(6);
    w.text('# EOF\n');
  }
  w.finish(false);
  await handOver();
  w.close();
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
