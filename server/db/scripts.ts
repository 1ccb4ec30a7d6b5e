import type { PGlite } from "@electric-sql/pglite";
import type pg from "pg";
import type { PgliteSession } from "./pglite/session.js";

// SQL typed by a person (`manage dbshell`): one or more statements as one
// simple query, each answering its columns and rows as they come.

export interface ScriptResult {
  columns: string[];
  rows: unknown[][];
  /** Rows inserted, updated or deleted, for statements that change rows. */
  affected?: number;
}

export async function runScriptOnPool(pool: pg.Pool, text: string): Promise<ScriptResult[]> {
  const answer = (await pool.query({ text, rowMode: "array" })) as unknown as
    | pg.QueryArrayResult
    | pg.QueryArrayResult[];
  return (Array.isArray(answer) ? answer : [answer]).map((result) => ({
    columns: result.fields.map((field) => field.name),
    rows: result.rows,
    ...(["INSERT", "UPDATE", "DELETE", "MERGE"].includes(result.command) ? { affected: result.rowCount ?? 0 } : {}),
  }));
}

export async function runScriptOnPglite(pglite: PGlite, session: PgliteSession, text: string): Promise<ScriptResult[]> {
  const release = await session.acquire();
  try {
    const results = await pglite.exec(text, { rowMode: "array" });
    return results.map((result) => ({
      columns: result.fields.map((field) => field.name),
      rows: result.rows as unknown[][],
      ...(result.fields.length === 0 && result.affectedRows ? { affected: result.affectedRows } : {}),
    }));
  } finally {
    release();
  }
}
