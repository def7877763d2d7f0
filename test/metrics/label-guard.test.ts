import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import {
  escapeLabelValue,
  guardLabelValue,
  LABEL_VALUE_MAX_LENGTH,
  looksLikeEmail,
  looksLikePhone,
  REDACTED_VALUE,
} from '../../src/metrics/core/labels.ts';

describe('label guard', () => {
  test('e-mail addresses are replaced, wherever they stand in the value', () => {
    for (const v of ['anna.schmidt@example.de', 'customer <max@firma.com>', 'x+tag@sub.domain.org']) {
      assert.deepEqual(guardLabelValue(v), { value: REDACTED_VALUE, reason: 'email' }, v);
    }
  });

  test('phone numbers are replaced in common national and international spellings', () => {
    for (const v of [
      '+49 30 1234567',
      '030/1234567',
      '(030) 123-4567',
      '+4915112345678',
      'tel:+49301234567',
      'caller +49 151 2345678',
    ]) {
      assert.deepEqual(guardLabelValue(v), { value: REDACTED_VALUE, reason: 'phone' }, v);
    }
  });

  test('ordinary identifiers pass unchanged', () => {
    for (const v of [
      'cmp_8f3a2c',
      '123e4567-e89b-12d3-a456-426614174000',
      '/api/bookings/:id',
      '200',
      'call_ended',
      'BOOKING_CREATED',
      'payment_failed',
      'v1.2.3',
    ]) {
      assert.deepEqual(guardLabelValue(v), { value: v, reason: null }, v);
    }
    assert.equal(looksLikePhone('2026-11-26'), false);
    assert.equal(looksLikeEmail('@handle'), false);
  });

  test('numbers become their decimal text', () => {
    assert.deepEqual(guardLabelValue(404), { value: '404', reason: null });
  });

  test('missing and blank values become "unknown"', () => {
    assert.deepEqual(guardLabelValue(undefined), { value: 'unknown', reason: 'missing' });
    assert.deepEqual(guardLabelValue('   '), { value: 'unknown', reason: 'missing' });
  });

  test('long values are cut to the maximum length', () => {
    const g = guardLabelValue('a'.repeat(1000));
    assert.equal(g.value.length, LABEL_VALUE_MAX_LENGTH);
    assert.equal(g.reason, 'too_long');
  });

  test('control characters and broken UTF-16 are replaced', () => {
    assert.deepEqual(guardLabelValue('a\nb\u0000c\u0007'), { value: 'a_b_c_', reason: 'invalid_chars' });
    assert.deepEqual(guardLabelValue('x\ud800y'), { value: 'x\ufffdy', reason: 'invalid_chars' });
  });

  test('escaping covers backslash, quote and newline', () => {
    assert.equal(escapeLabelValue('a\\b"c\nd'), 'a\\\\b\\"c\\nd');
    assert.equal(escapeLabelValue('plain'), 'plain');
  });
});
