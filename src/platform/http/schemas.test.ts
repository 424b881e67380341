import { test } from 'node:test';
import assert from 'node:assert/strict';
import { iso } from './schemas.js';

test('iso() writes exactly what toISOString writes', () => {
  const edges = [
    0,
    1,
    999,
    1000,
    86_399_999,
    86_400_000,
    Date.UTC(2000, 1, 29, 23, 59, 59, 999),
    Date.UTC(2024, 1, 29),
    Date.UTC(2100, 1, 28, 12),
    Date.UTC(2100, 2, 1),
    Date.UTC(1999, 11, 31, 23, 59, 59, 999),
    Date.UTC(9999, 11, 31, 23, 59, 59, 999),
  ];
  // Outside the fast path's range: before 1970, from year 10000 on.
  const outside = [-1, Date.UTC(1969, 11, 31, 23, 59, 59, 999), Date.UTC(1, 0, 1), Date.UTC(10000, 0, 1), Date.UTC(-50, 5, 5)];
  let seed = 42;
  const random = () => ((seed = (seed * 1_103_515_245 + 12_345) % 2 ** 31) / 2 ** 31) * Date.UTC(9999, 11, 31);
  const samples = [...edges, ...outside, ...Array.from({ length: 20_000 }, () => Math.floor(random()))];
  for (const ms of samples) {
    const date = new Date(ms);
    assert.equal(iso(date), date.toISOString(), `instant ${ms}`);
    assert.equal(iso(date.toISOString()), date.toISOString(), `text ${ms}`);
  }
  assert.throws(() => iso(new Date(Number.NaN)), RangeError);
  assert.throws(() => iso('not a date'), RangeError);
});
