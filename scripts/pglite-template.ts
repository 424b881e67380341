/**
 * The migrated PGlite database every in-memory test app starts from (PGLITE_TEMPLATE,
 * src/platform/database/index.ts): made once and kept under the system temp directory, keyed by
 * the migrations' contents and the PGlite version, so a new or changed migration makes a new one.
 * scripts/run-tests.mjs runs this before the PGlite suite and passes the path on; it prints it.
 */
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadConfig } from '../src/platform/config.js';
import { openDatabase } from '../src/platform/database/index.js';
import { migrateToLatest } from '../src/platform/database/migrator.js';

const modules = 'src/modules';
const hash = createHash('sha256').update(readFileSync('node_modules/@electric-sql/pglite/package.json'));
const folders = [
  'src/platform/database/migrations',
  ...readdirSync(modules)
    .sort()
    .map((area) => join(modules, area, 'migrations')),
];
for (const folder of folders) {
  if (!existsSync(folder)) continue;
  for (const file of readdirSync(folder).sort()) hash.update(file).update(readFileSync(join(folder, file)));
}
const dir = join(tmpdir(), 'carebridge-test');
const path = join(dir, `pglite-template-${hash.digest('hex').slice(0, 16)}.tar`);
if (!existsSync(path)) {
  mkdirSync(dir, { recursive: true });
  const config = loadConfig(
    { ...process.env, NODE_ENV: 'test', LOG_LEVEL: 'silent', DATA_DIR: join(dir, 'template-build'), PGLITE_TEMPLATE: '' },
    { embeddedDatabase: 'memory', databaseSchema: null },
  );
  const database = await openDatabase(config);
  await migrateToLatest(database.db, null);
  const archive = await database.dump!();
  await database.close();
  // Written aside and renamed: a parallel run never reads half a file.
  const partial = `${path}.${process.pid}`;
  writeFileSync(partial, Buffer.from(await archive.arrayBuffer()));
  renameSync(partial, path);
}
console.log(path);
