import { readdirSync, existsSync } from 'node:fs';
import { join, dirname } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { Migrator, sql, type Migration, type MigrationProvider, type MigrationResultSet } from 'kysely';
import type { Db } from './index.js';

const srcDir = join(dirname(fileURLToPath(import.meta.url)), '..', '..');

/**
 * Migrations are versioned files that live beside the code that owns the tables:
 * `src/platform/database/migrations/*.ts` and `src/modules/<area>/migrations/*.ts`.
 * Names start with a UTC timestamp (`202611231000_identity_users.ts`) so one global
 * order exists across areas. Kysely's migrator applies them the same way on PGlite and
 * PostgreSQL and takes a lock, so several instances starting at once apply each once.
 */
export class ModuleMigrationProvider implements MigrationProvider {
  async getMigrations(): Promise<Record<string, Migration>> {
    const folders = [join(srcDir, 'platform', 'database', 'migrations')];
    const modulesDir = join(srcDir, 'modules');
    for (const area of existsSync(modulesDir) ? readdirSync(modulesDir) : []) {
      const folder = join(modulesDir, area, 'migrations');
      if (existsSync(folder)) folders.push(folder);
    }
    const migrations: Record<string, Migration> = {};
    for (const folder of folders) {
      // .ts under tsx (src/), .js once compiled (dist/, `npm run build`): same names either way.
      for (const file of readdirSync(folder).filter((f) => /^\d{12}_[a-z0-9_]+\.(?:ts|js)$/.test(f))) {
        const name = file.replace(/\.(?:ts|js)$/, '');
        if (migrations[name]) throw new Error(`Duplicate migration name ${name}`);
        const mod = (await import(pathToFileURL(join(folder, file)).href)) as Migration;
        migrations[name] = mod;
      }
    }
    return migrations;
  }
}

export async function migrateToLatest(db: Db, schema: string | null): Promise<MigrationResultSet> {
  const migrations = await new ModuleMigrationProvider().getMigrations();
  // Most starts find nothing to do. Kysely's migrator would still create-if-missing its two
  // tables, introspect the catalog and take its lock, about a second of CPU on PGlite
  // (docs/BENCHMARKS.md, Footprint); one read of the applied names answers it. Any
  // difference, or no table yet, goes through the migrator and its lock as before.
  if (await allApplied(db, schema, Object.keys(migrations))) return { results: [] };
  const migrator = new Migrator({
    db,
    provider: { getMigrations: async () => migrations },
    ...(schema ? { migrationTableSchema: schema } : {}),
  });
  const result = await migrator.migrateToLatest();
  if (result.error) {
    const failed = result.results?.find((r) => r.status === 'Error');
    const reason = result.error instanceof Error ? result.error.message : String(result.error);
    throw new Error(`Migration ${failed?.migrationName ?? '(unknown)'} failed: ${reason}`);
  }
  return result;
}

async function allApplied(db: Db, schema: string | null, names: string[]): Promise<boolean> {
  const table = schema ? sql.id(schema, 'kysely_migration') : sql.id('kysely_migration');
  try {
    const { rows } = await sql<{ name: string }>`select name from ${table}`.execute(db);
    const applied = new Set(rows.map((row) => row.name));
    return applied.size === names.length && names.every((name) => applied.has(name));
  } catch {
    return false; // no migration table yet: a new database
  }
}
