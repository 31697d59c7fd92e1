import { promises as fs } from "node:fs";
import path from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { Kysely, Migrator, PostgresDialect, type Migration, type MigrationProvider } from "kysely";
import pg from "pg";

const MIGRATIONS_DIR = path.join(path.dirname(fileURLToPath(import.meta.url)), "migrations");

/**
 * Applies every pending migration as the connecting (owner) role. Throws with the failing migration's
 * name and error; callers exit non-zero. Serialised by Kysely's own advisory lock, so two processes
 * starting at once cannot both migrate.
 */
export async function migrateToLatest(url: string, log: (line: string) => void = () => {}): Promise<string[]> {
  const db = new Kysely<unknown>({ dialect: new PostgresDialect({ pool: new pg.Pool({ connectionString: url, max: 1 }) }) });
  try {
    const migrator = new Migrator({ db, provider: new TsMigrationProvider() });
    const { error, results } = await migrator.migrateToLatest();
    const applied: string[] = [];
    for (const r of results ?? []) {
      if (r.status === "Success") {
        applied.push(r.migrationName);
        log(`migrated ${r.migrationName}`);
      } else if (r.status === "Error") {
        log(`failed ${r.migrationName}`);
      }
    }
    if (error) throw error instanceof Error ? error : new Error(String(error));
    return applied;
  } finally {
    await db.destroy();
  }
}

/**
 * Kysely's FileMigrationProvider imports with the runtime's native import(), which cannot load .ts under a
 * test runner; importing from this module lets tsx and Vitest transform the migration files.
 */
class TsMigrationProvider implements MigrationProvider {
  async getMigrations(): Promise<Record<string, Migration>> {
    const files = (await fs.readdir(MIGRATIONS_DIR)).filter((f) => /\.(ts|js)$/.test(f) && !f.endsWith(".d.ts")).sort();
    const out: Record<string, Migration> = {};
    for (const f of files) {
      out[f.replace(/\.(ts|js)$/, "")] = (await import(pathToFileURL(path.join(MIGRATIONS_DIR, f)).href)) as Migration;
    }
    return out;
  }
}
