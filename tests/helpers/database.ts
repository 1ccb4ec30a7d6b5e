import { randomBytes } from "node:crypto";
import { readFile } from "node:fs/promises";
import { PGlite } from "@electric-sql/pglite";
import pg from "pg";
import { inject } from "vitest";
import { envSchema } from "../../server/config/env.js";
import { connectDatabase, type DatabaseHandle, pgliteHandle } from "../../server/db/connect.js";

export const databaseUrl = (adminUrl: string, name: string) => {
  const url = new URL(adminUrl);
  url.pathname = `/${name}`;
  return url.toString();
};

export async function adminQuery(adminUrl: string, sql: string, params: unknown[] = []) {
  const client = new pg.Client({ connectionString: adminUrl });
  await client.connect();
  try {
    return await client.query(sql, params);
  } finally {
    await client.end();
  }
}

/**
 * Behind a pooler (the CI job that runs part of the suite through PgBouncer in
 * transaction mode), each file's database is reached through TEST_POOLER_URL's
 * server, while databases are created and dropped on DATABASE_URL's directly.
 */
const poolerUrl = () => process.env.TEST_POOLER_URL;

/** DATABASE_PREPARED_STATEMENTS as the server reads it (the suite's own connections follow it too). */
export const preparedStatements = () =>
  envSchema.shape.DATABASE_PREPARED_STATEMENTS.parse(process.env.DATABASE_PREPARED_STATEMENTS);

export interface TestDatabase extends DatabaseHandle {
  /** This file's own database URL (PostgreSQL only: other processes can connect to it), through the pooler if any. */
  url: string | undefined;
}

/**
 * A migrated, empty database that belongs to one test file: a clone of the
 * run's template on PostgreSQL (DATABASE_URL), else an in-memory PGlite.
 */
export async function createTestDatabase(): Promise<TestDatabase> {
  const template = inject("databaseTemplate");
  const adminUrl = process.env.DATABASE_URL;
  if (adminUrl) {
    const name = `jwtt_${Math.floor(Date.now() / 1000)}_${randomBytes(4).toString("hex")}`;
    await adminQuery(adminUrl, `create database "${name}" template "${template}"`);
    const url = databaseUrl(poolerUrl() ?? adminUrl, name);
    const handle = await connectDatabase({ url, pgliteDir: "", poolSize: 5, preparedStatements: preparedStatements() });
    return {
      ...handle,
      url,
      async close() {
        await handle.close();
        await adminQuery(adminUrl, `drop database if exists "${name}" with (force)`);
      },
    };
  }
  const pglite = await PGlite.create("memory://", { loadDataDir: new Blob([await readFile(template)]) });
  return { ...pgliteHandle(pglite), url: undefined };
}
