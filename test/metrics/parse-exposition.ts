/**
 * A strict reader of the Prometheus text format and OpenMetrics for tests: every sample as name,
 * labels and value, with HELP/TYPE kept per family. It rejects what a scraper would reject
 * (duplicate series, samples outside their declared family, malformed lines).
 */
export interface Sample {
  name: string;
  labels: Record<string, string>;
  value: number;
}

export interface Parsed {
  samples: Sample[];
  types: Map<string, string>;
  help: Map<string, string>;
  eof: boolean;
}

function parseLabels(text: string): Record<string, string> {
  const labels: Record<string, string> = {};
  let i = 0;
  while (i < text.length) {
    const eq = text.indexOf('=', i);
    if (eq === -1) throw new Error(`bad labels: ${text}`);
    const name = text.slice(i, eq).trim();
    if (text[eq + 1] !== '"') throw new Error(`bad label value start: ${text}`);
    let j = eq + 2;
    let value = '';
    while (j < text.length && text[j] !== '"') {
      if (text[j] === '\\') {
        const c = text[j + 1];
        value += c === 'n' ? '\n' : c;
        j += 2;
      } else {
        value += text[j++];
      }
    }
    if (j >= text.length) throw new Error(`unterminated label value: ${text}`);
    if (name in labels) throw new Error(`duplicate label ${name}`);
    labels[name] = value;
    i = j + 1;
    if (text[i] === ',') i++;
  }
  return labels;
}

function parseValue(s: string): number {
  if (s === '+Inf') return Number.POSITIVE_INFINITY;
  if (s === '-Inf') return Number.NEGATIVE_INFINITY;
  if (s === 'NaN') return Number.NaN;
  const n = Number(s);
  if (s === '' || Number.isNaN(n)) throw new Error(`bad value ${JSON.stringify(s)}`);
  return n;
}

const SUFFIXES = ['_bucket', '_sum', '_count', '_total', '_created', '_info'];

export function parseExposition(text: string): Parsed {
  const samples: Sample[] = [];
  const types = new Map<string, string>();
  const help = new Map<string, string>();
  const seen = new Set<string>();
  let eof = false;
  for (const line of text.split('\n')) {
    if (line === '') continue;
    if (eof) throw new Error('content after # EOF');
    if (line === '# EOF') {
      eof = true;
      continue;
    }
    if (line.startsWith('# HELP ')) {
      const rest = line.slice(7);
      const sp = rest.indexOf(' ');
      help.set(rest.slice(0, sp), rest.slice(sp + 1));
      continue;
    }
    if (line.startsWith('# TYPE ')) {
      const [name, type] = line.slice(7).split(' ');
      if (types.has(name!)) throw new Error(`family ${name} declared twice`);
      types.set(name!, type!);
      continue;
    }
    if (line.startsWith('#')) continue;
    const brace = line.indexOf('{');
    const space = line.lastIndexOf(' ');
    let name: string;
    let labels: Record<string, string> = {};
    if (brace !== -1 && brace < space) {
      name = line.slice(0, brace);
      const close = line.lastIndexOf('}');
      labels = parseLabels(line.slice(brace + 1, close));
    } else {
      name = line.slice(0, line.indexOf(' '));
    }
    const value = parseValue(line.slice(space + 1));
    const key = `${name}${JSON.stringify(Object.entries(labels).sort())}`;
    if (seen.has(key)) throw new Error(`duplicate series ${key}`);
    seen.add(key);
    const family = types.has(name)
      ? name
      : SUFFIXES.map((s) => (name.endsWith(s) ? name.slice(0, -s.length) : '')).find(
          (f) => f && types.has(f),
        );
    if (!family) throw new Error(`sample ${name} has no TYPE`);
    samples.push({ name, labels, value });
  }
  return { samples, types, help, eof };
}

/** Samples as `name{a="x",b="y"} -> value`, labels sorted, for whole-exposition comparisons. */
export function sampleMap(samples: Sample[]): Map<string, number> {
  const m = new Map<string, number>();
  for (const s of samples) {
    const labels = Object.entries(s.labels)
      .sort(([a], [b]) => (a < b ? -1 : 1))
      .map(([k, v]) => `${k}=${JSON.stringify(v)}`)
      .join(',');
    m.set(`${s.name}{${labels}}`, s.value);
  }
  return m;
}

/** The value of one sample, or undefined. */
export function sampleValue(
  samples: Sample[],
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
