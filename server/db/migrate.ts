import { readdir, readFile } from "node:fs/promises";
import { join } from "node:path";
import { type Kysely, type Migration, type MigrationProvider, type MigrationResultSet, Migrator, sql } from "kysely";

/** Plain SQL files, `<timestamp>_<name>.sql`, applied in name order, each in its own transaction. */
export class SqlFileMigrationProvider implements MigrationProvider {
  constructor(private readonly folder: string) {}

  async getMigrations(): Promise<Record<string, Migration>> {
    const files = (await readdir(this.folder)).filter((file) => file.endsWith(".sql")).sort();
    const migrations: Record<string, Migration> = {};
    for (const file of files) {
      const script = await readFile(join(this.folder, file), "utf8");
      migrations[file.replace(/\.sql$/, "")] = {
        up: async (db) => {
          await sql.raw(script).execute(db);
        },
      };
    }
    return migrations;
  }
}

export interface MigrateReport {
  applied: string[];
}

export async function migrateToLatest<DB>(db: Kysely<DB>, folder: string): Promise<MigrateReport> {
  const migrator = new Migrator({ db, provider: new SqlFileMigrationProvider(folder) });
  const { error, results }: MigrationResultSet = await migrator.migrateToLatest();
  const failed = results?.find((result) => result.status === "Error");
  if (error) {
    const name = failed ? ` (${failed.migrationName})` : "";
    throw new Error(`migration failed${name}: ${error instanceof Error ? error.message : String(error)}`, {
      cause: error,
    });
  }
  return { applied: (results ?? []).filter((r) => r.status === "Success").map((r) => r.migrationName) };
}

export interface MigrationState {
  name: string;
  appliedAt: Date | undefined;
}

/** Every migration file, in order, with when it was applied (Django's showmigrations). */
export async function migrationStates<DB>(db: Kysely<DB>, folder: string): Promise<MigrationState[]> {
  const migrator = new Migrator({ db, provider: new SqlFileMigrationProvider(folder) });
  return (await migrator.getMigrations()).map((migration) => ({
    name: migration.name,
    appliedAt: migration.executedAt,
  }));
}
