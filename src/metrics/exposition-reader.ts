/**
 * The one reader of the Prometheus text format 0.0.4 and OpenMetrics 1.0, used by the CLI (status,
 * doctor), the tests and the benchmarks: every sample as name, labels and value, with HELP and TYPE per
 * family. Label values and HELP texts are unescaped exactly as the writers escape them (`\\`, `\n`,
 * `\"`), so `C:\new` reads back as `C:\new`. It rejects what a scraper rejects: malformed lines,
 * unknown escapes, duplicate series, samples outside a declared family, content after `# EOF`.
 *
 * ```ts
 * const { samples } = readExposition(text);
 * sampleValue(samples, 'askproai_queue_size', { queue: 'default' });
 * ```
 */

export interface Sample {
  name: string;
  labels: Record<string, string>;
  value: number;
  /** The sample's timestamp when the line carries one (milliseconds in 0.0.4, seconds in OpenMetrics). */
  timestamp?: number;
}

export interface Exposition {
  samples: Sample[];
  /** Family name -> declared type. */
  types: Map<string, string>;
  /** Family name -> HELP text, unescaped. */
  help: Map<string, string>;
  /** True when the text ended with OpenMetrics' `# EOF`. */
  eof: boolean;
}

export class ExpositionParseError extends Error {
  override name = 'ExpositionParseError';
  constructor(message: string, line: number) {
    super(`line ${line}: ${message}`);
  }
}

const NAME = /^[a-zA-Z_:][a-zA-Z0-9_:]*/;
const LABEL_NAME = /^[a-zA-Z_][a-zA-Z0-9_]*/;
const SUFFIXES = ['_bucket', '_sum', '_count', '_total', '_created', '_info', '_gcount', '_gsum'];

/**
 * Unescapes a label value (`\\`, `\n`, `\"`; anything else is an error) or a HELP text (the same;
 * anything else stays as written, as the text format allows).
 */
function unescapeText(text: string, strict: boolean, lineNo: number): string {
  if (!text.includes('\\')) return text;
  let out = '';
  for (let i = 0; i < text.length; i++) {
    const c = text[i]!;
    if (c !== '\\') {
      out += c;
      continue;
    }
    const next = text[++i];
    if (next === '\\') out += '\\';
    else if (next === 'n') out += '\n';
    else if (next === '"') out += '"';
    else if (!strict) out += `\\${next ?? ''}`;
    else throw new ExpositionParseError(`invalid escape \\${next ?? ''}`, lineNo);
  }
  return out;
}

/** Reads `{a="x",b="y"}` starting at `line[start] === '{'`; returns the labels and the index after `}`. */
function readLabels(line: string, start: number, lineNo: number): [Record<string, string>, number] {
  const labels: Record<string, string> = {};
  let i = start + 1;
  for (;;) {
    while (line[i] === ' ') i++;
    if (line[i] === '}') return [labels, i + 1];
    const name = LABEL_NAME.exec(line.slice(i))?.[0];
    if (name === undefined) throw new ExpositionParseError('expected a label name', lineNo);
    i += name.length;
    if (line[i] !== '=' || line[i + 1] !== '"')
      throw new ExpositionParseError(`expected ="..." after label ${name}`, lineNo);
    i += 2;
    const from = i;
    while (i < line.length && line[i] !== '"') i += line[i] === '\\' ? 2 : 1;
    if (i >= line.length) throw new ExpositionParseError(`unterminated value of label ${name}`, lineNo);
    if (Object.hasOwn(labels, name)) throw new ExpositionParseError(`label ${name} given twice`, lineNo);
    labels[name] = unescapeText(line.slice(from, i), true, lineNo);
    i++;
    while (line[i] === ' ') i++;
    if (line[i] === ',') i++;
    else if (line[i] !== '}') throw new ExpositionParseError('expected , or } after a label', lineNo);
  }
}

function readNumber(s: string, lineNo: number): number {
  if (s === '+Inf' || s === 'Inf') return Number.POSITIVE_INFINITY;
  if (s === '-Inf') return Number.NEGATIVE_INFINITY;
  if (s === 'NaN') return Number.NaN;
  const n = Number(s);
  if (s === '' || Number.isNaN(n)) throw new ExpositionParseError(`bad number ${JSON.stringify(s)}`, lineNo);
  return n;
}

/** Reads a whole exposition; throws `ExpositionParseError` naming the line on anything malformed. */
export function readExposition(text: string): Exposition {
  const samples: Sample[] = [];
  const types = new Map<string, string>();
  const help = new Map<string, string>();
  const seen = new Set<string>();
  let eof = false;
  const lines = text.split('\n');
  for (let n = 0; n < lines.length; n++) {
    const line = lines[n]!;
    const lineNo = n + 1;
    if (line === '') continue;
    if (eof) throw new ExpositionParseError('content after # EOF', lineNo);
    if (line === '# EOF') {
      eof = true;
      continue;
    }
    if (line.startsWith('# HELP ') || line.startsWith('# TYPE ')) {
      const rest = line.slice(7);
      const sp = rest.indexOf(' ');
      const name = sp === -1 ? rest : rest.slice(0, sp);
      const body = sp === -1 ? '' : rest.slice(sp + 1);
      if (line[2] === 'H') help.set(name, unescapeText(body, false, lineNo));
      else {
        if (types.has(name)) throw new ExpositionParseError(`family ${name} declared twice`, lineNo);
        types.set(name, body);
      }
      continue;
    }
    if (line.startsWith('#')) continue;

    const name = NAME.exec(line)?.[0];
    if (name === undefined) throw new ExpositionParseError('expected a metric name', lineNo);
    let i = name.length;
    let labels: Record<string, string> = {};
    if (line[i] === '{') [labels, i] = readLabels(line, i, lineNo);
    if (line[i] !== ' ') throw new ExpositionParseError('expected a space before the value', lineNo);
    // value [timestamp] [# exemplar]
    const exemplar = line.indexOf(' # ', i);
    const fields = (exemplar === -1 ? line.slice(i) : line.slice(i, exemplar)).trim().split(/ +/);
    if (fields.length > 2) throw new ExpositionParseError('unexpected text after the value', lineNo);
    const sample: Sample = { name, labels, value: readNumber(fields[0]!, lineNo) };
    if (fields[1] !== undefined) sample.timestamp = readNumber(fields[1], lineNo);

    const key = sampleKey(name, labels);
    if (seen.has(key)) throw new ExpositionParseError(`duplicate series ${key}`, lineNo);
    seen.add(key);
    const family =
      types.has(name) || SUFFIXES.some((s) => name.endsWith(s) && types.has(name.slice(0, -s.length)));
    if (!family) throw new ExpositionParseError(`sample ${name} has no TYPE`, lineNo);
    samples.push(sample);
  }
  return { samples, types, help, eof };
}

/** `name{a="x",b="y"}` with labels sorted and values JSON-quoted: one key per series. */
export function sampleKey(name: string, labels: Record<string, string>): string {
  const parts = Object.keys(labels)
    .sort()
    .map((k) => `${k}=${JSON.stringify(labels[k])}`);
  return `${name}{${parts.join(',')}}`;
}

/** Samples keyed by `sampleKey`, for whole-exposition comparisons. */
export function sampleMap(samples: readonly Sample[]): Map<string, number> {
  const m = new Map<string, number>();
  for (const s of samples) m.set(sampleKey(s.name, s.labels), s.value);
  return m;
}

/** The value of the sample with exactly these labels, or undefined. */
export function sampleValue(
  samples: readonly Sample[],
  name: string,
  labels: Record<string, string> = {},
): number | undefined {
  const want = Object.entries(labels);
  return samples.find(
    (s) =>
      s.name === name &&
      want.every(([k, v]) => s.labels[k] === v) &&
      Object.keys(s.labels).length === want.length,
  )?.value;
}

/** Every sample of `name`: its labels and value. */
export function samplesOf(
  text: string,
  name: string,
): Array<{ labels: Record<string, string>; value: number }> {
  return readExposition(text)
    .samples.filter((s) => s.name === name)
    .map((s) => ({ labels: s.labels, value: s.value }));
}
