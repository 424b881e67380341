/**
 * `npm run bench`: every benchmark in bench/, one after the other, against PostgreSQL
 * (BENCH_DATABASE_URL, default the local test database) so figures reflect the
 * production backend. Each script prints a Markdown section for docs/BENCHMARKS.md.
 */
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';

const databaseUrl = process.env.BENCH_DATABASE_URL ?? process.env.DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test';
const only = process.argv.slice(2);
const scripts = ['platform.ts', 'reads.ts', 'booking.ts', 'chat-fanout.ts', 'symptom-checker.ts', 'derma.ts', 'assistant.ts', 'fhir.ts', 'jobs.ts'].filter(
  (s) => existsSync(`bench/${s}`) && (only.length === 0 || only.some((o) => s.startsWith(o))),
);
let failed = false;
for (const script of scripts) {
  console.log(`\n# bench/${script}`);
  const result = spawnSync(process.execPath, ['--import', 'tsx', `bench/${script}`], { stdio: 'inherit', env: { ...process.env, DATABASE_URL: databaseUrl } });
  if (result.status !== 0) failed = true;
}
process.exit(failed ? 1 : 0);
