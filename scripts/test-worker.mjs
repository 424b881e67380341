// One test worker: runs several test files in this one process (scripts/run-tests.mjs hands
// out the batches). Loading the service's ~1,000 modules costs 2–3 s of CPU per process, most
// of it module resolution and file reads rather than our code; paid once per batch instead of
// once per file, it stops being a third of the suite's time.
//
// node:test runs top-level tests one after another and ends the run as soon as none is
// pending, so a slow import (a file that builds its app at top level) could end the run before
// the next file's tests exist. The first test therefore waits until every file is imported;
// scripts/test-reporter.mjs leaves it out of the output and the counts.
import { test } from 'node:test';
import { pathToFileURL } from 'node:url';

const HOLD = '(test worker: loading test files)';

let loaded;
const allLoaded = new Promise((resolve) => (loaded = resolve));
test(HOLD, () => allLoaded);

for (const file of process.argv.slice(2)) {
  try {
    await import(pathToFileURL(file).href);
  } catch (error) {
    // Reported as a failing test of its own, so one broken file fails the run with its reason
    // and the other files of the batch still run.
    test(`could not load ${file}`, () => {
      throw error;
    });
  }
}
loaded();
