// The generated dashboards' queries, run by a real Prometheus over samples backfilled at known times, the
// way Grafana sends them: the executive "Bookings per day" bars are calendar days in the business time
// zone, every `$instance` selection (one value, several, All) is a valid matcher that keeps exactly the
// selected instances, panels drawn per instance return one series per instance, and the top-10 panel
// shows the same ten companies at every step of the range.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { Dashboard } from '@grafana/grafana-foundation-sdk/dashboard';
import { createContext } from '../../src/monitoring/context.ts';
import { dashboards } from '../../src/monitoring/dashboards/index.ts';
import { type Prometheus, startPrometheus } from '../support/prometheus.ts';

const boards = dashboards(createContext());
const DAY = 86_400;

interface Panel {
  title: string;
  description?: string;
  interval?: string;
  targets?: { expr: string; legendFormat?: string }[];
  fieldConfig?: { defaults?: { custom?: { drawStyle?: string; barAlignment?: number } } };
}
const panels = (d: Dashboard) => (d.panels ?? []) as unknown as Panel[];
const panel = (d: Dashboard, title: string) => {
  const p = panels(d).find((x) => x.title === title);
  assert.ok(p, `${d.title} has no panel ${title}`);
  return p;
};
const board = (title: string) => {
  const d = Object.values(boards).find((b) => b.title === title);
  assert.ok(d, `no dashboard ${title}`);
  return d;
};

// --- Time zones ---------------------------------------------------------------------------------------

/** The UTC offset of `zone` at an instant, in seconds (Berlin: 3600 in winter, 7200 in summer). */
function utcOffsetSec(zone: string, epochSec: number): number {
  const name = new Intl.DateTimeFormat('en-US', { timeZone: zone, timeZoneName: 'longOffset' })
    .formatToParts(new Date(epochSec * 1000))
    .find((p) => p.type === 'timeZoneName')!.value;
  const m = /GMT(?:([+-])(\d\d):(\d\d))?/.exec(name)!;
  return m[1] ? (m[1] === '-' ? -1 : 1) * (Number(m[2]) * 3600 + Number(m[3]) * 60) : 0;
}

/** `2026-01-13T00:20` wall-clock time in `zone` as epoch seconds. */
function local(zone: string, wall: string): number {
  const asUtc = Date.parse(`${wall}:00Z`) / 1000;
  let t = asUtc - utcOffsetSec(zone, asUtc);
  t = asUtc - utcOffsetSec(zone, t);
  return t;
}

/** The wall clock of an instant in `zone`, `YYYY-MM-DD HH:MM`. */
function wallClock(zone: string, epochSec: number): string {
  return new Date((epochSec + utcOffsetSec(zone, epochSec)) * 1000)
    .toISOString()
    .slice(0, 16)
    .replace('T', ' ');
}

/**
 * What Grafana's Prometheus datasource sends for a range query (pkg/promlib/models/query.go,
 * AlignTimeRange): start and end rounded down to a multiple of the step, shifted by `utcOffsetSec`, which
 * the browser takes from the end of the range in the dashboard's time zone.
 */
function grafanaRange(zone: string, from: number, to: number, step: number) {
  const offset = utcOffsetSec(zone, to);
  const align = (t: number) => Math.floor((t + offset) / step) * step - offset;
  return { start: align(from), end: align(to), step };
}

/** Grafana's `$__interval` etc. as its backend writes them into the expression. */
function interpolate(expr: string, vars: Record<string, string>): string {
  let out = expr;
  for (const [name, value] of Object.entries(vars)) out = out.replaceAll(`$${name}`, value);
  return out;
}

// --- Synthetic samples --------------------------------------------------------------------------------

const ZONE = 'Europe/Berlin';
const BOOKING =
  'askproai_bookings_total{job="askproai",instance="app-1.internal:8080",status="confirmed",source="phone"}';

/** Bookings at wall-clock times in Berlin; the ones just after midnight are the previous day in UTC. */
const WINTER: Record<string, string[]> = {
  '2026-01-12': ['10:00', '14:00', '23:40'],
  '2026-01-13': ['00:20', '00:40', '09:00', '11:00', '16:00'],
  '2026-01-14': ['00:10'],
};
const SUMMER: Record<string, string[]> = {
  '2026-07-07': ['08:00', '23:50'],
  '2026-07-08': ['00:15', '01:30', '01:45', '20:00'],
};

const STEP = 300; // backfilled samples every 5 minutes

/** A counter's samples every 5 minutes from `from` to `to`, counting the events at or before each. */
function counterSamples(series: string, events: number[], from: number, to: number): string[] {
  const lines: string[] = [];
  for (let t = from; t <= to; t += STEP) lines.push(`${series} ${events.filter((e) => e <= t).length} ${t}`);
  return lines;
}

function bookingEvents(days: Record<string, string[]>): number[] {
  return Object.entries(days).flatMap(([day, times]) => times.map((hm) => local(ZONE, `${day}T${hm}`)));
}

const round5m = (t: number) => Math.floor(t / STEP) * STEP;

/** The per-instance and top-10 samples: 6 hours ending at TOPK_END. */
const TOPK_END = round5m(local(ZONE, '2026-07-08T18:00'));
const TOPK_RANGE = 6 * 3600;
const INSTANCES = ['app-1.internal:8080', 'app-2.internal:8080', 'app-3.internal:8080'];

/** Every selector `name{...}` of an expression, with the label=value matchers it requires. */
function selectors(expr: string): { name: string; labels: Record<string, string> }[] {
  const out: { name: string; labels: Record<string, string> }[] = [];
  for (const m of expr.matchAll(/([a-zA-Z_:][\w:]*)\{([^}]*)\}/g)) {
    const labels: Record<string, string> = {};
    for (const eq of m[2]!.matchAll(/(\w+)="([^"]*)"/g)) labels[eq[1]!] = eq[2]!;
    out.push({ name: m[1]!, labels });
  }
  return out;
}

const fmt = (name: string, labels: Record<string, string>) =>
  `${name}{${Object.entries(labels)
    .map(([k, v]) => `${k}=${JSON.stringify(v)}`)
    .join(',')}}`;

/** Queries of the dashboards with an instance variable, that use it. */
const instanceQueries = Object.values(boards).flatMap((d) =>
  panels(d).flatMap((p) =>
    (p.targets ?? [])
      .filter((t) => t.expr.includes('$instance'))
      .map((t) => ({ dashboard: d.title, panel: p, expr: t.expr, legend: t.legendFormat ?? '' })),
  ),
);

/** Samples for every metric an `$instance` query reads: each instance its own rising series. */
function instanceSamples(): string[] {
  const seen = new Set<string>();
  const lines: string[] = [];
  for (const q of instanceQueries) {
    for (const s of selectors(q.expr)) {
      INSTANCES.forEach((instance, i) => {
        const series = fmt(s.name, { ...s.labels, instance });
        if (seen.has(series)) return;
        seen.add(series);
        for (let t = TOPK_END - TOPK_RANGE - 3600; t <= TOPK_END; t += STEP)
          lines.push(`${series} ${(i + 1) * ((t - (TOPK_END - TOPK_RANGE - 3600)) / 60 + 1)} ${t}`);
      });
    }
  }
  return lines;
}

/**
 * Calls of 12 companies: b1 and b2 busy in the first half of the range only (the two largest totals),
 * a1..a10 in the second half only, a<i> with i calls per 5 minutes. The range's top 10 is b1, b2, a3..a10;
 * a per-step topk would also show a1 and a2 (the top of the second half).
 */
function callSamples(): string[] {
  const from = TOPK_END - TOPK_RANGE;
  const half = from + TOPK_RANGE / 2;
  const lines: string[] = [];
  const companies: [string, (t: number) => number][] = [
    ['b1', (t) => 20 * Math.floor((Math.min(t, half) - from) / STEP)],
    ['b2', (t) => 20 * Math.floor((Math.min(t, half) - from) / STEP)],
  ];
  for (let i = 1; i <= 10; i++)
    companies.push([`a${i}`, (t) => i * Math.floor(Math.max(0, t - half) / STEP)]);
  for (const [company, value] of companies) {
    const series = fmt('askproai_calls_total', {
      job: 'askproai',
      instance: INSTANCES[0]!,
      status: 'completed',
      company,
    });
    for (let t = from - 3600; t <= TOPK_END; t += STEP) lines.push(`${series} ${Math.max(0, value(t))} ${t}`);
  }
  return lines;
}

let prom: Prometheus;
before(async () => {
  const winter = bookingEvents(WINTER);
  const summer = bookingEvents(SUMMER);
  const lines = [
    ...counterSamples(
      BOOKING,
      winter,
      round5m(local(ZONE, '2026-01-10T00:00')),
      round5m(local(ZONE, '2026-01-16T00:00')),
    ),
    ...counterSamples(
      BOOKING,
      summer,
      round5m(local(ZONE, '2026-07-05T00:00')),
      round5m(local(ZONE, '2026-07-10T00:00')),
    ),
    ...instanceSamples(),
    ...callSamples(),
  ];
  // Backfilled blocks need samples in time order per series; the sort keeps each series' lines together.
  lines.sort((a, b) => {
    const [sa, ta] = [a.slice(0, a.lastIndexOf('} ') + 1), Number(a.slice(a.lastIndexOf(' ') + 1))];
    const [sb, tb] = [b.slice(0, b.lastIndexOf('} ') + 1), Number(b.slice(b.lastIndexOf(' ') + 1))];
    return sa < sb ? -1 : sa > sb ? 1 : ta - tb;
  });
  prom = await startPrometheus({
    configYaml: 'global:\n  scrape_interval: 15s\n',
    backfill: `${lines.join('\n')}\n# EOF\n`,
  });
});
after(async () => {
  await prom?.stop();
});

describe('Bookings per day (executive dashboard)', () => {
  const exec = board('AskProAI Executive Overview');
  const p = panel(exec, 'Bookings per day');

  /** The bars Grafana draws for a range ending at `to`: the day each covers (local date) and its count. */
  async function bars(zone: string, to: number, days: number, offsetOverride?: number) {
    assert.equal(p.interval, '1d', 'the panel asks for one point per day');
    const range =
      offsetOverride === undefined
        ? grafanaRange(zone, to - days * DAY, to, DAY)
        : {
            start: Math.floor((to - days * DAY + offsetOverride) / DAY) * DAY - offsetOverride,
            end: Math.floor((to + offsetOverride) / DAY) * DAY - offsetOverride,
            step: DAY,
          };
    const expr = interpolate(p.targets![0]!.expr, { __interval: '1d' });
    const [series] = await prom.queryRange(expr, range);
    assert.ok(series, 'no data');
    return series.values.map(([t, v]) => {
      // Drawn before its point (barAlignment -1): the bar spans the day that ended at t.
      const covers = wallClock(zone, Number(t) - DAY / 2).slice(0, 10);
      return { at: wallClock(zone, Number(t)), covers, bookings: Math.round(Number(v)) };
    });
  }

  test('the dashboard runs in the business time zone and draws each bar over the day it counts', () => {
    assert.equal(exec.timezone, ZONE);
    assert.equal(p.fieldConfig?.defaults?.custom?.drawStyle, 'bars');
    assert.equal(p.fieldConfig?.defaults?.custom?.barAlignment, -1);
    assert.match(p.targets![0]!.expr, /increase\([^)]*\[\$__interval\]\)/);
  });

  test('winter: every bar is one Berlin calendar day, bookings just after midnight on the new day', async () => {
    const got = await bars(exec.timezone!, local(ZONE, '2026-01-15T09:30'), 4);
    for (const b of got) assert.match(b.at, /00:00$/, `point at ${b.at}, not local midnight`);
    const counts = Object.fromEntries(got.map((b) => [b.covers, b.bookings]));
    assert.deepEqual(counts, {
      '2026-01-10': 0,
      '2026-01-11': 0,
      '2026-01-12': 3,
      '2026-01-13': 5,
      '2026-01-14': 1,
    });
  });

  test('summer (UTC+2): the same, at the summer offset', async () => {
    const got = await bars(exec.timezone!, local(ZONE, '2026-07-09T12:00'), 3);
    for (const b of got) assert.match(b.at, /00:00$/, `point at ${b.at}, not local midnight`);
    const counts = Object.fromEntries(got.map((b) => [b.covers, b.bookings]));
    assert.deepEqual(counts, { '2026-07-05': 0, '2026-07-06': 0, '2026-07-07': 2, '2026-07-08': 4 });
  });

  test('the samples tell the zones apart: UTC days would count differently', async () => {
    const got = await bars('UTC', local(ZONE, '2026-01-15T09:30'), 4, 0);
    const counts = Object.fromEntries(got.map((b) => [b.covers, b.bookings]));
    assert.notDeepEqual(counts, { '2026-01-11': 0, '2026-01-12': 3, '2026-01-13': 5, '2026-01-14': 1 });
    assert.equal(
      counts['2026-01-12'],
      5,
      'in UTC, the three bookings after Berlin midnight fall on the 12th',
    );
  });
});

/** How Grafana writes a multi-value or All selection into a Prometheus query (regex-escaped, joined). */
function instanceValue(selected: string[] | 'All', allValue: string): string {
  if (selected === 'All') return allValue;
  const escaped = selected.map((v) => v.replace(/\\/g, '\\\\\\\\').replace(/[$^*{}[\]+?.()|]/g, '\\\\$&'));
  return escaped.length === 1 ? escaped[0]! : `(${escaped.join('|')})`;
}

describe('the $instance variable', () => {
  const withVariable = Object.values(boards).filter((d) =>
    (d.templating?.list ?? []).some((v) => v.name === 'instance'),
  );

  test('is multi-select with All matching everything, on every dashboard that has it', () => {
    assert.deepEqual(
      withVariable.map((d) => d.title),
      ['AskProAI System', 'AskProAI API Endpoints', 'AskProAI Host'],
    );
    for (const d of withVariable) {
      const v = (d.templating!.list ?? []).find((x) => x.name === 'instance')! as {
        multi?: boolean;
        includeAll?: boolean;
        allValue?: string;
      };
      assert.equal(v.multi, true, d.title);
      assert.equal(v.includeAll, true, d.title);
      assert.equal(v.allValue, '.*', d.title);
    }
  });

  test('every query uses it as a regex matcher (a multi-value selection is an alternation)', () => {
    assert.ok(instanceQueries.length >= 10, `only ${instanceQueries.length} queries use $instance`);
    for (const q of instanceQueries) {
      const uses = [...q.expr.matchAll(/(\w+)\s*(=~|!~|!=|=)\s*"\$instance"/g)];
      assert.ok(uses.length > 0, `${q.dashboard}: ${q.panel.title}: $instance outside a matcher`);
      for (const u of uses) {
        assert.equal(u[1], 'instance', `${q.dashboard}: ${q.panel.title}`);
        assert.equal(u[2], '=~', `${q.dashboard}: ${q.panel.title}: instance${u[2]}"$instance"`);
      }
    }
  });

  const at = TOPK_END;
  const vars = { __rate_interval: '15m', __interval: '5m', __range: `${TOPK_RANGE}s` };
  const perInstance = instanceQueries.filter((q) => q.legend.includes('{{instance}}'));

  test('panels drawn per instance return one series per selected instance, and only those', async () => {
    assert.ok(perInstance.length >= 7, `only ${perInstance.length} per-instance queries`);
    const selections: (string[] | 'All')[] = [[INSTANCES[1]!], [INSTANCES[0]!, INSTANCES[2]!], 'All'];
    for (const q of perInstance) {
      for (const selection of selections) {
        const expr = interpolate(q.expr, { ...vars, instance: instanceValue(selection, '.*') });
        const result = await prom.query(expr, at);
        const want = selection === 'All' ? INSTANCES : selection;
        const what = `${q.dashboard}: ${q.panel.title} with ${JSON.stringify(selection)}`;
        assert.deepEqual([...new Set(result.map((s) => s.metric.instance))].sort(), [...want].sort(), what);
        // One series per legend entry: grouped by what the legend names.
        const keys = [...q.legend.matchAll(/\{\{(\w+)\}\}/g)].map((m) => m[1]!);
        const legends = result.map((s) => keys.map((k) => s.metric[k] ?? '').join(' '));
        assert.equal(new Set(legends).size, legends.length, `${what}: several series per legend ${legends}`);
      }
    }
  });

  test('every other $instance query is valid PromQL for each kind of selection and narrows its result', async () => {
    for (const q of instanceQueries) {
      for (const selection of [[INSTANCES[0]!], [INSTANCES[0]!, INSTANCES[1]!], 'All'] as const) {
        const expr = interpolate(q.expr, {
          ...vars,
          instance: instanceValue([...selection] as string[] | 'All', '.*'),
        });
        // Throws on a parse error (a bad matcher); the result may be empty for unrelated metrics.
        await prom.query(expr, at);
      }
    }
    const rate = panel(board('AskProAI System'), 'Request Rate').targets![0]!.expr;
    const one = await prom.query(
      interpolate(rate, { ...vars, instance: instanceValue([INSTANCES[0]!], '.*') }),
      at,
    );
    const all = await prom.query(interpolate(rate, { ...vars, instance: '.*' }), at);
    assert.ok(Number(one[0]!.value[1]) > 0);
    assert.ok(Number(all[0]!.value[1]) > Number(one[0]!.value[1]), 'the selection does not filter');
  });
});

describe('Calls by company (top 10)', () => {
  const p = panel(board('AskProAI Business'), 'Calls by company (top 10)');
  const range = { start: TOPK_END - TOPK_RANGE, end: TOPK_END, step: 300 };
  const vars = { __rate_interval: '15m', __range: `${TOPK_RANGE}s` };
  const companies = async (expr: string) =>
    [
      ...new Set((await prom.queryRange(interpolate(expr, vars), range)).map((s) => s.metric.company!)),
    ].sort();

  test('shows the same ten companies at every step: the top 10 of the whole range', async () => {
    assert.deepEqual(await companies(p.targets![0]!.expr), [
      'a10',
      'a3',
      'a4',
      'a5',
      'a6',
      'a7',
      'a8',
      'a9',
      'b1',
      'b2',
    ]);
  });

  test('a per-step topk would show more than ten (the samples tell them apart)', async () => {
    const naive = await companies(
      'topk(10, sum by (company) (rate(askproai_calls_total{job="askproai"}[$__rate_interval])))',
    );
    assert.ok(naive.length > 10, `${naive}`);
  });
});
