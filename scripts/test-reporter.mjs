// Node's spec reporter, plus a header line naming each test file when its first test starts
// (several files share one worker process: scripts/test-worker.mjs), and without the worker's
// own loading step in the output or the counts.
import { relative } from 'node:path';
import { spec } from 'node:test/reporters';

// The name scripts/test-worker.mjs gives its loading step.
const HOLD = '(test worker: loading test files)';

export default async function* groupedSpec(source) {
  const inner = new spec();
  const chunks = [];
  inner.on('data', (chunk) => chunks.push(chunk));
  let currentFile;
  for await (const event of source) {
    const data = event.data ?? {};
    if (data.name === HOLD && data.nesting === 0) continue;
    if (event.type === 'test:diagnostic' && data.nesting === 0) {
      // The root's summary counts the loading step as a passed test.
      const match = /^(tests|pass) (\d+)$/.exec(data.message);
      if (match) event.data = { ...data, message: `${match[1]} ${Number(match[2]) - 1}` };
    }
    if (event.type === 'test:start' && data.nesting === 0 && data.file && data.file !== currentFile) {
      currentFile = data.file;
      yield `\n▷ ${relative(process.cwd(), data.file)}\n`;
    }
    inner.write(event);
    await new Promise((resolve) => setImmediate(resolve));
    while (chunks.length) yield chunks.shift();
  }
  inner.end();
  await new Promise((resolve) => inner.on('end', resolve).resume());
  while (chunks.length) yield chunks.shift();
}
