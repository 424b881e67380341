// `npm run migrate`: applies pending migrations to the configured database and exits.
import { loadConfig } from '../config.js';
import { openDatabase } from './index.js';
import { migrateToLatest } from './migrator.js';

const config = loadConfig();
const handle = await openDatabase(config);
try {
  const result = await migrateToLatest(handle.db, config.databaseSchema);
  const applied = result.results?.filter((r) => r.status === 'Success').map((r) => r.migrationName) ?? [];
  console.log(applied.length ? `Applied ${applied.length} migration(s):\n  ${applied.join('\n  ')}` : 'Database is up to date.');
} finally {
  await handle.close();
}
