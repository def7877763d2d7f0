// The live view's quantiles are Prometheus's histogram_quantile: checked against hand-computed values
// and against a real Prometheus 2.42 answering histogram_quantile over the same buckets.
import assert from 'node:assert/strict';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, test } from 'node:test';
import {
  type CumulativeBucket,
  histogramQuantile,
  quantileOfCounts,
} from '../../src/metrics/live/quantile.ts';
import { type Prometheus, startPrometheus } from '../support/prometheus.ts';

const INF = Number.POSITIVE_INFINITY;
const b = (pairs: [number, number][]): CumulativeBucket[] => pairs.map(([le, count]) => ({ le, count }));

describe('histogramQuantile by hand', () => {
  const buckets = b([
    [0.1, 10],
    [0.2, 30],
    [0.5, 90],
    [1, 100],
    [INF, 100],
  ]);

  test('interpolates linearly inside the bucket that holds the rank', () => {
    // rank 50 falls in (0.2, 0.5]: 20 of its 60 observations -> 0.2 + 0.3 * 20/60.
    assert.equal(histogramQuantile(0.5, buckets), 0.2 + 0.3 * (20 / 60));
    // rank 95 in (0.5, 1]: 5 of 10 -> 0.75.
    assert.equal(histogramQuantile(0.95, buckets), 0.75);
    // rank 5 in the first bucket, whose lower bound is 0.
    assert.equal(histogramQuantile(0.05, buckets), 0.05);
    // a rank exactly on a bucket's count is that bucket's upper bound.
    assert.equal(histogramQuantile(0.3, buckets), 0.2);
  });

  test('a rank in the +Inf bucket answers the highest finite bound', () => {
    const tail = b([
      [0.1, 1],
      [0.5, 2],
      [INF, 10],
    ]);
    assert.equal(histogramQuantile(0.99, tail), 0.5);
  });

  test('edge cases: q outside [0, 1], no +Inf bucket, no observations, bucket order, equal bounds', () => {
    assert.equal(histogramQuantile(-0.1, buckets), Number.NEGATIVE_INFINITY);
    assert.equal(histogramQuantile(1.1, buckets), INF);
    assert.ok(Number.isNaN(histogramQuantile(Number.NaN, buckets)));
    assert.ok(Number.isNaN(histogramQuantile(0.5, b([[0.1, 1]]))));
    assert.ok(Number.isNaN(histogramQuantile(0.5, b([[INF, 3]]))));
    assert.ok(
      Number.isNaN(
        histogramQuantile(
          0.5,
          b([
            [0.1, 0],
            [INF, 0],
          ]),
        ),
      ),
    );
    assert.equal(histogramQuantile(0.5, [...buckets].reverse()), histogramQuantile(0.5, buckets));
    // Equal bounds add up, as Prometheus's coalesceBuckets does with series that differ in other labels.
    assert.equal(
      histogramQuantile(
        0.5,
        b([
          [0.1, 1],
          [0.1, 1],
          [1, 4],
          [INF, 4],
        ]),
      ),
      0.1,
    );
    // A first bucket with an upper bound <= 0 answers that bound.
    assert.equal(
      histogramQuantile(
        0.1,
        b([
          [-1, 5],
          [0, 8],
          [INF, 10],
        ]),
      ),
      -1,
    );
  });

  test('quantileOfCounts takes the registry layout (non-cumulative, +Inf last)', () => {
    assert.equal(quantileOfCounts(0.95, [0.1, 0.2, 0.5, 1], [10, 20, 60, 10, 0]), 0.75);
  });
});

/** Each case: finite bounds and non-cumulative counts (+Inf last), as the exposition will carry them. */
const CASES: { name: string; bounds: number[]; cumulative: number[] }[] = [
  {
    name: 'typical',
    bounds: [0.005, 0.01, 0.025, 0.05, 0.1, 0.2, 0.3, 0.5, 0.75, 1, 2.5, 5, 10],
    cumulative: [3, 9, 40, 120, 260, 390, 440, 470, 480, 490, 497, 499, 500, 501],
  },
  { name: 'tail', bounds: [0.1, 0.5], cumulative: [1, 2, 10] },
  { name: 'one', bounds: [0.2, 0.5, 1], cumulative: [0, 1, 1, 1] },
  { name: 'gaps', bounds: [0.01, 0.1, 1, 10], cumulative: [0, 0, 7, 7, 7] },
  { name: 'negative', bounds: [-1, 0, 1], cumulative: [5, 8, 9, 10] },
  { name: 'nonmonotonic', bounds: [0.1, 0.2, 0.5], cumulative: [4, 3, 8, 8] },
  { name: 'empty', bounds: [0.1, 1], cumulative: [0, 0, 0] },
];
const QS = [0, 0.01, 0.25, 0.5, 0.9, 0.95, 0.99, 1];

function exposition(): string {
  let out = '# HELP q_seconds test\n# TYPE q_seconds histogram\n';
  for (const c of CASES) {
    c.bounds.forEach((le, i) => {
      out += `q_seconds_bucket{case="${c.name}",le="${le}"} ${c.cumulative[i]}\n`;
    });
    out += `q_seconds_bucket{case="${c.name}",le="+Inf"} ${c.cumulative[c.bounds.length]}\n`;
    out += `q_seconds_count{case="${c.name}"} ${c.cumulative[c.bounds.length]}\nq_seconds_sum{case="${c.name}"} 1\n`;
  }
  return out;
}

describe('histogramQuantile against a real Prometheus', () => {
  let server: http.Server;
  let prometheus: Prometheus;
  before(async () => {
    const text = exposition();
    server = http.createServer((_req, res) => {
      res.writeHead(200, { 'content-type': 'text/plain; version=0.0.4' });
      res.end(text);
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const target = `127.0.0.1:${(server.address() as AddressInfo).port}`;
    prometheus = await startPrometheus({
      configYaml: `
global: { scrape_interval: 1s }
scrape_configs:
  - job_name: q
    static_configs: [{ targets: ['${target}'] }]
`,
    });
  });
  after(async () => {
    await prometheus?.stop();
    await new Promise((r) => server?.close(r));
  });

  test('every case and quantile answers what Prometheus answers', async () => {
    await prometheus.waitFor(
      async () => (await prometheus.query('count(q_seconds_bucket)')).length > 0 || undefined,
      30_000,
      'Prometheus to scrape the test histogram',
    );
    const time = Date.now() / 1000;
    let compared = 0;
    for (const c of CASES) {
      const ours = c.bounds.map((le, i) => ({ le, count: c.cumulative[i]! }));
      ours.push({ le: INF, count: c.cumulative[c.bounds.length]! });
      for (const q of QS) {
        const r = await prometheus.query(
          `histogram_quantile(${q}, q_seconds_bucket{case="${c.name}"})`,
          time,
        );
        assert.equal(r.length, 1, `${c.name} q=${q}: one result`);
        const theirs = Number(r[0]!.value[1]);
        const mine = histogramQuantile(q, ours);
        const same = Number.isNaN(theirs)
          ? Number.isNaN(mine)
          : Math.abs(theirs - mine) <= 1e-9 * Math.max(1, Math.abs(theirs));
        assert.ok(same, `${c.name} q=${q}: Prometheus ${theirs}, ours ${mine}`);
        compared++;
      }
    }
    assert.equal(compared, CASES.length * QS.length);
  });
});
