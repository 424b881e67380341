import { test } from 'node:test';
import assert from 'node:assert/strict';
import pg from 'pg';
import { parseIsoTimestamptz, timestamptzParser } from './timestamps.js';

// pg's own timestamptz parser (postgres-date): this test doesn't load database/index.ts, which replaces it.
const parseDate = pg.types.getTypeParser(1184) as (text: string) => unknown;

test('the fast timestamptz parser gives the same Date as postgres-date for every shape PostgreSQL writes', () => {
  const samples = [
    '2026-12-08 09:00:00+00',
    '2026-12-08 09:00:00.1+00',
    '2026-12-08 09:00:00.12+00',
    '2026-12-08 09:00:00.123+00',
    '2026-12-08 09:00:00.123456+00',
    '2026-12-08 09:00:00.999999+00',
    '2026-03-29 01:30:00+01',
    '2026-03-29 01:30:00.5-05',
    '2026-10-25 02:59:59.000001+05:30',
    '1987-06-05 04:03:02.000500-09:30',
    '1883-11-18 12:00:00+00:09:21',
    '2000-02-29 23:59:59.999+14',
    '9999-12-31 23:59:59.999999+00',
  ];
  for (const text of samples) {
    const fast = parseIsoTimestamptz(text);
    assert.ok(fast, text);
    assert.equal(fast.getTime(), (parseDate(text) as Date).getTime(), text);
  }
});

test('anything else goes to the fallback unchanged', () => {
  const parse = timestamptzParser((text) => parseDate(text));
  for (const text of [
    'infinity',
    '-infinity',
    '0044-03-15 12:00:00+00 BC',
    '0099-01-01 00:00:00+00',
    '12345-01-01 00:00:00+00',
    '2026-12-08T09:00:00Z',
    '2026-12-08 09:00:00',
    '2026-12-08 09:00:00+0x',
  ]) {
    assert.equal(parseIsoTimestamptz(text), null, text);
    const expected = parseDate(text);
    const actual = parse(text);
    if (expected instanceof Date) assert.equal((actual as Date).getTime(), expected.getTime(), text);
    else assert.equal(actual, expected, text);
  }
});
