/**
 * A minimal parser of the Prometheus text format, enough to compare two expositions by meaning:
 * every sample becomes `name{sorted labels}` -> value, so label order and line order do not matter.
 */

const LABEL = /([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"/g;

/** Samples of a text exposition keyed by name and sorted labels. Throws on a line it cannot read. */
export function parseSamples(text: string): Map<string, number> {
  const out = new Map<string, number>();
  for (const line of text.split('\n')) {
    if (line === '' || line.startsWith('#')) continue;
    const brace = line.indexOf('{');
    let name: string;
    let rest: string;
    let labels: string[] = [];
    if (brace === -1) {
      const space = line.indexOf(' ');
      name = line.slice(0, space);
      rest = line.slice(space + 1);
    } else {
      const close = line.lastIndexOf('}');
      name = line.slice(0, brace);
      labels = [...line.slice(brace + 1, close).matchAll(LABEL)].map((m) => `${m[1]}="${m[2]}"`).sort();
      rest = line.slice(close + 2);
    }
    const value = Number(rest.split(' ')[0]);
    if (name === '' || Number.isNaN(value)) throw new Error(`Unreadable sample line: ${line.slice(0, 120)}`);
    out.set(`${name}{${labels.join(',')}}`, value);
  }
  return out;
}

/** Describes the first differences between two expositions, or returns an empty list when they agree. */
export function sampleDifferences(a: string, b: string, limit = 5): string[] {
  const sa = parseSamples(a);
  const sb = parseSamples(b);
  const diffs: string[] = [];
  if (sa.size !== sb.size) diffs.push(`sample count ${sa.size} vs ${sb.size}`);
  for (const [k, v] of sa) {
    if (diffs.length >= limit) break;
    const w = sb.get(k);
    if (w === undefined) diffs.push(`missing in second: ${k}`);
    else if (w !== v && Math.abs(w - v) > 1e-9 * Math.max(Math.abs(v), 1)) diffs.push(`${k}: ${v} vs ${w}`);
  }
  return diffs;
}
