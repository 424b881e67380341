import { readdirSync, existsSync } from 'node:fs';
import { join, dirname } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { Migrator, type Migration, type MigrationProvider, type MigrationResultSet } from 'kysely';
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
      for (const file of readdirSync(folder).filter((f) => /^\d{12}_[a-z0-9_]+\.ts$/.test(f))) {
        const name = file.replace(/\.ts$/, '');
        if (migrations[name]) throw new Error(`Duplicate migration name ${name}`);
        const mod = (await import(pathToFileURL(join(folder, file)).href)) as Migration;
        migrations[name] = mod;
      }
    }
    return migrations;
  }
}

export async function migrateToLatest(db: Db, schema: string | null): Promise<MigrationResultSet> {
  const migrator = new Migrator({
    db,
    provider: new ModuleMigrationProvider(),
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
