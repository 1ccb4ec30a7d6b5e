import { execFileSync } from "node:child_process";
import { createHash } from "node:crypto";
import { readdir, readFile, rm, writeFile } from "node:fs/promises";
import { createRequire } from "node:module";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { PGlite } from "@electric-sql/pglite";
import { Kysely, PostgresDialect } from "kysely";
import pg from "pg";
import type { TestProject } from "vitest/node";
import { migrateToLatest } from "../server/db/migrate.js";
import { PGliteDialect } from "../server/db/pglite-dialect.js";
import { migrationsDir, projectRoot } from "../server/paths.js";
import { adminQuery, databaseUrl } from "./helpers/database.js";

const require = createRequire(import.meta.url);

declare module "vitest" {
  export interface ProvidedContext {
    /** A migrated PostgreSQL template database's name, or a PGlite data-dir dump's path. */
    databaseTemplate: string;
  }
}

/**
 * Migrates one template per run: a PostgreSQL database that each test file
 * clones (CREATE DATABASE … TEMPLATE), or a PGlite data-dir dump that each test
 * file loads. Every file then starts from a migrated, empty database of its own.
 */
export default async function setup(project: TestProject) {
  // The end-to-end tests run the compiled entry points, as `npm start` does. (Not when
  // regenerating the schema types: the build may be waiting for them.)
  if (process.env.UPDATE_DB_TYPES !== "1") {
    execFileSync(process.execPath, [require.resolve("typescript/bin/tsc"), "-p", "tsconfig.build.json"], {
      cwd: projectRoot,
      stdio: "inherit",
    });
  }
  const fingerprint = await migrationsFingerprint();
  const adminUrl = process.env.DATABASE_URL;
  if (adminUrl) {
    await dropStaleDatabases(adminUrl);
    const template = `jwtt_template_${fingerprint}`;
    const exists = await adminQuery(adminUrl, "select 1 from pg_database where datname = $1", [template]);
    if (exists.rowCount === 0) {
      // Migrated under a scratch name and renamed, so a crash never leaves a half-migrated template.
      const scratch = `${template}_${process.pid}`;
      await adminQuery(adminUrl, `create database "${scratch}"`);
      const db = new Kysely({
        dialect: new PostgresDialect({
          pool: new pg.Pool({ connectionString: databaseUrl(adminUrl, scratch), max: 1 }),
        }),
      });
      await migrateToLatest(db, migrationsDir);
      await db.destroy();
      await adminQuery(adminUrl, `alter database "${scratch}" rename to "${template}"`).catch(() =>
        adminQuery(adminUrl, `drop database if exists "${scratch}"`),
      );
    }
    project.provide("databaseTemplate", template);
    return;
  }

  const file = join(tmpdir(), `jwtt-pglite-${fingerprint}-${process.pid}.tar`);
  const pglite = await PGlite.create("memory://");
  const db = new Kysely({ dialect: new PGliteDialect(pglite) });
  await migrateToLatest(db, migrationsDir);
  await writeFile(file, Buffer.from(await (await pglite.dumpDataDir("none")).arrayBuffer()));
  await db.destroy();
  project.provide("databaseTemplate", file);
  return () => rm(file, { force: true });
}

async function migrationsFingerprint(): Promise<string> {
  const hash = createHash("sha256");
  for (const file of (await readdir(migrationsDir)).sort()) {
    hash.update(file).update(await readFile(join(migrationsDir, file)));
  }
  return hash.digest("hex").slice(0, 12);
}

/** Per-file databases of earlier runs that never finished (killed, crashed): older than two hours. */
async function dropStaleDatabases(adminUrl: string) {
  const cutoff = Math.floor(Date.now() / 1000) - 7200;
  const { rows } = await adminQuery(adminUrl, "select datname from pg_database where datname ~ '^jwtt_[0-9]+_'");
  for (const { datname } of rows as Array<{ datname: string }>) {
    if (Number(datname.split("_")[1]) < cutoff)
      await adminQuery(adminUrl, `drop database if exists "${datname}" with (force)`);
  }
}
