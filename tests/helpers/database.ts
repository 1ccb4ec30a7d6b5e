import { randomBytes } from "node:crypto";
import { readFile } from "node:fs/promises";
import { PGlite } from "@electric-sql/pglite";
import pg from "pg";
import { inject } from "vitest";
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

export interface TestDatabase extends DatabaseHandle {
  /** This file's own database URL (PostgreSQL only: other processes can connect to it). */
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
    const url = databaseUrl(adminUrl, name);
    const handle = await connectDatabase({ url, pgliteDir: "", poolSize: 5 });
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
