import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { localDate, startOfLocalDay } from '../../src/metrics/sources/local-midnight.ts';

const iso = (ms: number) => new Date(ms).toISOString();

describe('startOfLocalDay', () => {
  test('an ordinary Berlin winter and summer day', () => {
    assert.equal(
      iso(startOfLocalDay(Date.parse('2025-01-15T12:00:00Z'), 'Europe/Berlin')),
      '2025-01-14T23:00:00.000Z',
    );
    assert.equal(
      iso(startOfLocalDay(Date.parse('2025-07-15T12:00:00Z'), 'Europe/Berlin')),
      '2025-07-14T22:00:00.000Z',
    );
  });

  test('the 23-hour day clocks spring forward: midnight is still CET', () => {
    // 2025-03-30: 02:00 CET becomes 03:00 CEST. Late that evening the offset is +2, midnight was +1.
    const start = startOfLocalDay(Date.parse('2025-03-30T21:30:00Z'), 'Europe/Berlin');
    assert.equal(iso(start), '2025-03-29T23:00:00.000Z');
    const next = startOfLocalDay(Date.parse('2025-03-31T10:00:00Z'), 'Europe/Berlin');
    assert.equal(next - start, 23 * 3_600_000);
  });

  test('the 25-hour day clocks fall back', () => {
    const start = startOfLocalDay(Date.parse('2025-10-26T22:30:00Z'), 'Europe/Berlin');
    assert.equal(iso(start), '2025-10-25T22:00:00.000Z');
    const next = startOfLocalDay(Date.parse('2025-10-27T10:00:00Z'), 'Europe/Berlin');
    assert.equal(next - start, 25 * 3_600_000);
  });

  test('just after local midnight belongs to the new day, just before to the old one', () => {
    assert.equal(
      iso(startOfLocalDay(Date.parse('2025-06-01T22:00:00Z'), 'Europe/Berlin')),
      '2025-06-01T22:00:00.000Z',
    );
    assert.equal(
      iso(startOfLocalDay(Date.parse('2025-06-01T21:59:59Z'), 'Europe/Berlin')),
      '2025-05-31T22:00:00.000Z',
    );
  });

  test('a zone whose clocks skip midnight starts the day after the gap', () => {
    // Sao Paulo, 2018-11-04: 00:00 -03 jumped to 01:00 -02, so the day began at 03:00Z.
    const start = startOfLocalDay(Date.parse('2018-11-04T15:00:00Z'), 'America/Sao_Paulo');
    assert.equal(iso(start), '2018-11-04T03:00:00.000Z');
    assert.equal(localDate(start, 'America/Sao_Paulo'), '2018-11-04');
    assert.equal(localDate(start - 1000, 'America/Sao_Paulo'), '2018-11-03');
  });

  test('UTC and a half-hour zone', () => {
    assert.equal(iso(startOfLocalDay(Date.parse('2025-05-05T05:05:05Z'), 'UTC')), '2025-05-05T00:00:00.000Z');
    assert.equal(
      iso(startOfLocalDay(Date.parse('2025-05-05T20:00:00Z'), 'Asia/Kolkata')),
      '2025-05-05T18:30:00.000Z',
    );
  });
});
