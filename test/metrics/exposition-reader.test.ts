// The one exposition reader (CLI, tests, benchmarks): what the writers escape it reads back exactly,
// in both formats, for any label value; malformed input is refused with the line number.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import fc from 'fast-check';
import { guardLabelValue, renderLabels } from '../../src/metrics/core/labels.ts';
import type { MetricDef } from '../../src/metrics/core/types.ts';
import {
  ExpositionParseError,
  readExposition,
  samplesOf,
  sampleValue,
} from '../../src/metrics/exposition-reader.ts';
import { createRegistry } from '../../src/metrics/registry.ts';

const pathsDef: MetricDef<'path', 'counter'> = {
  name: 'reader_paths_total',
  type: 'counter',
  help: 'Paths seen, e.g. C:\\new and "quoted"\nsecond line.',
  labels: ['path'],
};

describe('exposition reader', () => {
  for (const format of ['text', 'openmetrics'] as const) {
    test(`${format}: C:\\new, quotes and newlines round-trip through the writer and the reader`, () => {
      const registry = createRegistry();
      const paths = registry.counter(pathsDef);
      const values = ['C:\\new', 'C:\\\\server\\n', 'say "hi"', 'a\\"b', 'tail\\'];
      for (const [i, v] of values.entries()) paths.with1(v).inc(i + 1);
      const parsed = readExposition(registry.expose(format));
      values.forEach((v, i) => {
        assert.equal(sampleValue(parsed.samples, 'askproai_reader_paths_total', { path: v }), i + 1, v);
      });
      const family = format === 'text' ? 'askproai_reader_paths_total' : 'askproai_reader_paths';
      assert.equal(parsed.help.get(family), pathsDef.help);
      assert.equal(parsed.eof, format === 'openmetrics');
    });
  }

  test('the CLI reads C:\\new back as written', () => {
    const registry = createRegistry();
    registry.counter(pathsDef).with1('C:\\new').inc(3);
    assert.deepEqual(samplesOf(registry.expose(), 'askproai_reader_paths_total'), [
      { labels: { path: 'C:\\new' }, value: 3 },
    ]);
  });

  test('any label value reads back as written (property)', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'binary', maxLength: 40 }), fc.string({ maxLength: 10 }), (a, b) => {
        const text = `# TYPE m gauge\nm{${renderLabels(['a', 'b'], [a, b])}} 1\n`;
        assert.deepEqual(readExposition(text).samples, [{ name: 'm', labels: { a, b }, value: 1 }]);
      }),
      { numRuns: 2000 },
    );
  });

  test('any recorded label value reads back as the guard stored it (property)', () => {
    fc.assert(
      fc.property(fc.array(fc.string({ unit: 'binary', maxLength: 60 }), { maxLength: 20 }), (inputs) => {
        const registry = createRegistry();
        const paths = registry.counter(pathsDef);
        const expected = new Map<string, number>();
        for (const input of inputs) {
          paths.labels(input).inc();
          const stored = guardLabelValue(input).value;
          expected.set(stored, (expected.get(stored) ?? 0) + 1);
        }
        for (const format of ['text', 'openmetrics'] as const) {
          const read = new Map(
            samplesOf(registry.expose(format), 'askproai_reader_paths_total').map((s) => [
              s.labels.path!,
              s.value,
            ]),
          );
          assert.deepEqual(read, expected);
        }
      }),
      { numRuns: 300 },
    );
  });

  test('timestamps and exemplars are read past, not into the value', () => {
    const { samples } = readExposition(
      '# TYPE a counter\na_total{x="1"} 4 1700000000000\n# TYPE h histogram\nh_bucket{le="1"} 2 # {trace_id="abc"} 0.5 1.7e9\n# EOF\n',
    );
    assert.deepEqual(samples, [
      { name: 'a_total', labels: { x: '1' }, value: 4, timestamp: 1700000000000 },
      { name: 'h_bucket', labels: { le: '1' }, value: 2 },
    ]);
  });

  test('malformed input is refused with its line number', () => {
    const cases: Array<[string, RegExp]> = [
      ['# TYPE m gauge\nm{a="x} 1\n', /line 2: unterminated value of label a/],
      ['# TYPE m gauge\nm{a="\\t"} 1\n', /line 2: invalid escape \\t/],
      ['# TYPE m gauge\nm{a="x"} one\n', /line 2: bad number "one"/],
      ['# TYPE m gauge\nm 1\nm 2\n', /line 3: duplicate series m\{\}/],
      ['n 1\n', /line 1: sample n has no TYPE/],
      ['# TYPE m gauge\nm{a="x",a="y"} 1\n', /line 2: label a given twice/],
      ['# TYPE m gauge\n# EOF\nm 1\n', /line 3: content after # EOF/],
    ];
    for (const [text, message] of cases) {
      assert.throws(
        () => readExposition(text),
        (err: Error) => {
          assert.ok(err instanceof ExpositionParseError);
          assert.match(err.message, message);
          return true;
        },
      );
    }
  });
});
