import { test } from 'node:test';
import assert from 'node:assert/strict';
import { GroupCommit } from './group-commit.js';

test('rows arriving during a write share the next one; each caller settles when its rows are written', async () => {
  const writes: number[][] = [];
  const group = new GroupCommit<number>(async (rows) => {
    writes.push(rows);
    await new Promise((resolve) => setTimeout(resolve, 5));
  });
  await Promise.all([group.add([1]), group.add([2, 3]), group.add([4]), group.add([5])]);
  assert.deepEqual(writes, [[1], [2, 3, 4, 5]]);
  await group.add([6]);
  assert.deepEqual(writes.at(-1), [6]);
});

test('a failing row fails only its own caller', async () => {
  const stored: number[] = [];
  const group = new GroupCommit<number>(async (rows) => {
    await new Promise((resolve) => setTimeout(resolve, 1));
    if (rows.includes(13)) throw new Error('bad row');
    stored.push(...rows);
  });
  const results = await Promise.allSettled([group.add([1]), group.add([2]), group.add([13]), group.add([4])]);
  assert.deepEqual(
    results.map((r) => r.status),
    ['fulfilled', 'fulfilled', 'rejected', 'fulfilled'],
  );
  assert.deepEqual(stored.sort(), [1, 2, 4]);
});

test('batches stay under the row cap', async () => {
  const sizes: number[] = [];
  const group = new GroupCommit<number>(async (rows) => {
    sizes.push(rows.length);
    await new Promise((resolve) => setTimeout(resolve, 1));
  }, 3);
  await Promise.all([1, 2, 3, 4, 5, 6, 7].map((n) => group.add([n])));
  assert.deepEqual(sizes, [1, 3, 3]);
});

test('drain() resolves once every row handed in so far is written', async () => {
  const stored: number[] = [];
  const group = new GroupCommit<number>(async (rows) => {
    await new Promise((resolve) => setTimeout(resolve, 5));
    stored.push(...rows);
  });
  await group.drain(); // nothing queued: at once
  const pending = [group.add([1]), group.add([2]), group.add([3])];
  await group.drain();
  assert.deepEqual(stored, [1, 2, 3]);
  await Promise.all(pending);
});
