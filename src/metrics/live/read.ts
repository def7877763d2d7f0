/**
 * Reading the registry the way a scrape does: walk the families' cells and add numbers up, without
 * changing anything. It runs no collect hooks (those reset the event-loop histogram the scrape reports),
 * takes no lock and does no I/O, so recording never waits on it.
 */
import { type AnyFamily, type HistogramFamily, HistogramSeries, type Series } from '../core/family.ts';

/** Separates label values in a group key; the label guard removes control characters from values. */
export const KEY_SEP = '\u001f';

const parsed = new WeakMap<Series, string[]>();

/** A series' label values in the family's label order, parsed once per series. */
export function labelValuesOf(series: Series): string[] {
  let v = parsed.get(series);
  if (v === undefined) {
    v = series.labelValues;
    parsed.set(series, v);
  }
  return v;
}

/** Index of each wanted label in the family's label list; throws for a label it does not have. */
export function labelIndexes(family: AnyFamily, labels: readonly string[]): number[] {
  return labels.map((l) => {
    const i = (family.labelNames as readonly string[]).indexOf(l);
    if (i === -1)
      throw new TypeError(`${family.name} has no label "${l}" (it has ${family.labelNames.join(', ')})`);
    return i;
  });
}

/**
 * Sums a counter's or gauge's series grouped by some of its labels (a histogram's by observation
 * count). Keys are the label values joined with KEY_SEP; no labels gives one group, ''.
 */
export function sumBy(family: AnyFamily, labels: readonly string[] = []): Map<string, number> {
  const idx = labelIndexes(family, labels);
  const out = new Map<string, number>();
  for (const s of family.series.values()) {
    const values = labelValuesOf(s);
    const key =
      idx.length === 0
        ? ''
        : idx.length === 1
          ? (values[idx[0]!] ?? '')
          : idx.map((i) => values[i] ?? '').join(KEY_SEP);
    const v = s instanceof HistogramSeries ? s.count : (s as unknown as { value: number }).value;
    out.set(key, (out.get(key) ?? 0) + v);
  }
  return out;
}

/** The sum of every series of a counter or gauge (a histogram's observation count). */
export function total(family: AnyFamily): number {
  let n = 0;
  for (const v of sumBy(family).values()) n += v;
  return n;
}

/** Non-cumulative bucket counts of a histogram summed over all its series, +Inf last. */
export function bucketsOf(
  family: HistogramFamily,
  into: Float64Array = new Float64Array(family.bounds.length + 1),
): Float64Array {
  into.fill(0);
  for (const s of family.series.values()) {
    const data = s.store.data;
    for (let k = 0; k < into.length; k++) into[k]! += data[s.offset + k]!;
  }
  return into;
}
