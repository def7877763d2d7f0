// The one redaction module: every phone and e-mail spelling seen in the wild is found, ordinary ids
// are left alone, and the work grows linearly with the input (hostile inputs that froze the old regular
// expressions are in the corpus below).
import assert from 'node:assert/strict';
import { performance } from 'node:perf_hooks';
import { describe, test } from 'node:test';
import fc from 'fast-check';
import { guardLabelValue, REDACTED_VALUE } from '../../src/metrics/core/labels.ts';
import { containsEmail, containsPhone, createScrubber, redactText } from '../../src/metrics/core/redact.ts';

const PHONES = [
  '+4917699887766',
  '+49 176 99887766',
  '+49-176-99887766',
  '0049 176 99887766',
  '004917699887766',
  '017699887766',
  '0176 99887766',
  '0176-99887766',
  '0176/99887766',
  '(0176) 998 877 66',
  '%2B4917699887766',
  '%2B49%20176%2099887766',
  '0049%20176%2099887766',
  'tel:+4917699887766',
];
const EMAILS = [
  'erika@example.com',
  'erika.m+tag@mail.example.co.uk',
  'erika%40example.com',
  'ERIKA%40EXAMPLE.DE',
];
const NOT_PII = [
  'cmp_demo',
  '123e4567-e89b-12d3-a456-426614174000',
  '2025-06-28T10:00:00Z',
  '01.02.2025',
  '01/02/2025',
  '0.123456789',
  'v1.2.3',
  '/api/bookings/:id',
  '@handle',
  '0af7651916cd43dd8448eb211c80319c',
];

describe('redaction', () => {
  test('every phone spelling is found, alone and inside text, in logs and labels', () => {
    for (const p of PHONES) {
      assert.ok(containsPhone(p), p);
      assert.match(redactText(`caller ${p} booked`), /^caller (tel:)?\[phone\] booked$/, p);
      assert.deepEqual(guardLabelValue(p), { value: REDACTED_VALUE, reason: 'phone' }, p);
    }
  });

  test('every e-mail spelling is found, alone and inside text, in logs and labels', () => {
    for (const e of EMAILS) {
      assert.ok(containsEmail(e), e);
      assert.equal(redactText(`from <${e}>.`), 'from <[email]>.', e);
      assert.deepEqual(guardLabelValue(e), { value: REDACTED_VALUE, reason: 'email' }, e);
    }
  });

  test('ids, dates, decimals and timestamps pass unchanged', () => {
    for (const v of NOT_PII) {
      assert.equal(redactText(v), v, v);
      assert.equal(containsPhone(v) || containsEmail(v), false, v);
    }
    // A bare run of digits is a phone number as a whole label value, but not inside free text.
    assert.equal(redactText('at 1719568800000 ms'), 'at 1719568800000 ms');
  });

  test('URL passwords, authorization values and configured secrets are replaced', () => {
    const scrub = createScrubber(['sk_live_abcdef123456']);
    assert.equal(
      scrub.text('redis://:hunter22@cache:6379 Bearer abc.def.ghi123 key sk_live_abcdef123456'),
      'redis://:[redacted]@cache:6379 Bearer [redacted] key [redacted]',
    );
  });

  test('property: a phone or e-mail embedded anywhere in random text never survives', () => {
    const filler = fc.stringMatching(/^[a-z ,;]{0,40}$/);
    fc.assert(
      fc.property(filler, fc.constantFrom(...PHONES, ...EMAILS), filler, (a, pii, b) => {
        const out = redactText(`${a} ${pii} ${b}`);
        assert.doesNotMatch(out, /99887766|erika/i);
      }),
      { numRuns: 300 },
    );
  });

  // Inputs that made the old patterns quadratic or worse: long runs of the characters their nested
  // quantifiers matched. Linear work means 4x the input costs about 4x the time; quadratic costs 16x.
  const HOSTILE: ((n: number) => string)[] = [
    (n) => 'a'.repeat(n),
    (n) => `${'a.'.repeat(n / 2)}@`,
    (n) => '@a.'.repeat(n / 3),
    (n) => `+${'1 '.repeat(n / 2)}x`,
    (n) => `0${'1-'.repeat(n / 2)}a`,
    (n) => `http://${'a:'.repeat(n / 2)}`,
    (n) => '%2B'.repeat(n / 3),
    (n) => `Bearer ${' '.repeat(n)}`,
  ];

  test('work grows linearly with the input for every hostile shape', () => {
    const cost = (make: (n: number) => string, n: number) => {
      const input = make(n);
      let best = Number.POSITIVE_INFINITY;
      for (let r = 0; r < 5; r++) {
        const t = performance.now();
        redactText(input);
        containsPhone(input);
        containsEmail(input);
        guardLabelValue(input);
        best = Math.min(best, performance.now() - t);
      }
      return best;
    };
    for (const make of HOSTILE) {
      // Past the scrubber's bound the input is cut: compare sizes below it.
      const small = cost(make, 3000);
      const large = cost(make, 12_000);
      assert.ok(
        large < small * 10 + 2,
        `${make.toString()}: ${small.toFixed(2)} ms -> ${large.toFixed(2)} ms`,
      );
    }
  });

  test('a 1 MiB value is cut before it is read', () => {
    const huge = `${'+1 '.repeat(350_000)}@`;
    assert.ok(redactText(huge).length < 20_000);
    assert.equal(guardLabelValue(huge).value.length <= 128, true);
  });
});
