import { createHash } from "node:crypto";
import { mkdirSync } from "node:fs";
import { Kysely, PostgresDialect, type Transaction } from "kysely";
import pg from "pg";
import { PGliteDialect } from "./pglite-dialect.js";
import type { Database } from "./schema.js";

export type Db = Kysely<Database>;
/** What repositories take first: the database or a transaction on it. */
export type Executor = Kysely<Database> | Transaction<Database>;

export interface DatabaseHandle {
  db: Db;
  kind: "postgres" | "pglite";
  close(): Promise<void>;
}

export interface ConnectOptions {
  /** postgres://… ; when absent, an embedded PGlite database is used. */
  url: string | undefined;
  /** PGlite's data folder; `memory://` keeps it in memory (tests). */
  pgliteDir: string;
  poolSize?: number;
}

const INT8_OID = 20;
// Ids and counts are int8; every value we store fits a double exactly.
const parseInt8 = (value: string) => Number(value);

// Enough for every statement the server makes; past it (say, an import's
// one-off statements) queries simply run unprepared.
const MAX_PREPARED = 500;
const statementNames = new Map<string, string>();

function statementName(text: string): string | undefined {
  let name = statementNames.get(text);
  if (name === undefined && statementNames.size < MAX_PREPARED) {
    name = `s${createHash("sha256").update(text).digest("hex").slice(0, 24)}`;
    statementNames.set(text, name);
  }
  return name;
}

/**
 * Kysely sends SQL text; PostgreSQL would parse and plan it again on every
 * call. Naming each parameterized statement makes pg prepare it once per
 * connection and then only bind and execute it, which on a busy database
 * saves most of the server's work for short queries. Statements without
 * parameters (BEGIN, COMMIT) are left alone.
 */
function prepareParameterizedQueries(client: pg.PoolClient): void {
  const query = client.query.bind(client) as (config: unknown, values?: unknown) => unknown;
  (client as { query: unknown }).query = (config: unknown, values?: unknown) => {
    const name = typeof config === "string" && Array.isArray(values) && values.length > 0 && statementName(config);
    return name ? query({ name, text: config, values }) : query(config, values);
  };
}

export async function connectDatabase(options: ConnectOptions): Promise<DatabaseHandle> {
  if (options.url) {
    const pool = new pg.Pool({
      connectionString: options.url,
      max: options.poolSize ?? 10,
      connectionTimeoutMillis: 5_000,
      idleTimeoutMillis: 30_000,
      types: {
        getTypeParser: ((oid: number, format?: "text" | "binary") =>
          oid === INT8_OID ? parseInt8 : pg.types.getTypeParser(oid, format)) as typeof pg.types.getTypeParser,
      },
    });
    // A dropped connection must not crash the process. The pool listens only
    // while a client is idle; one checked out (e.g. inside a transaction,
    // between statements) would otherwise emit an unhandled "error" when the
    // server goes away. Its next query fails instead, and the pool drops it on
    // release because it is no longer queryable.
    pool.on("error", () => {});
    pool.on("connect", (client) => {
      client.on("error", () => {});
      prepareParameterizedQueries(client);
    });
    const db = new Kysely<Database>({ dialect: new PostgresDialect({ pool }) });
    return { db, kind: "postgres", close: () => db.destroy() };
  }
  if (!options.pgliteDir.startsWith("memory://")) mkdirSync(options.pgliteDir, { recursive: true });
  // Loaded only here: its WebAssembly build would sit unused in every PostgreSQL worker's heap.
  const { PGlite } = await import("@electric-sql/pglite");
  const pglite = await PGlite.create(options.pgliteDir, { relaxedDurability: false });
  const db = new Kysely<Database>({ dialect: new PGliteDialect(pglite) });
  return { db, kind: "pglite", close: () => db.destroy() };
}
