import { mkdirSync } from "node:fs";
import { Kysely, type Transaction } from "kysely";
import pg from "pg";
import { PgDialect } from "./pg-dialect.js";
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
  /** Named statements, prepared once per connection (DATABASE_PREPARED_STATEMENTS); true by default. */
  preparedStatements?: boolean;
}

const INT8_OID = 20;
// Ids and counts are int8; every value we store fits a double exactly.
const parseInt8 = (value: string) => Number(value);

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
    pool.on("connect", (client) => client.on("error", () => {}));
    const db = new Kysely<Database>({
      dialect: new PgDialect({ pool, preparedStatements: options.preparedStatements ?? true }),
    });
    return { db, kind: "postgres", close: () => db.destroy() };
  }
  if (!options.pgliteDir.startsWith("memory://")) mkdirSync(options.pgliteDir, { recursive: true });
  // Loaded only here: its WebAssembly build would sit unused in every PostgreSQL worker's heap.
  const { PGlite } = await import("@electric-sql/pglite");
  const pglite = await PGlite.create(options.pgliteDir, { relaxedDurability: false });
  const db = new Kysely<Database>({ dialect: new PGliteDialect(pglite) });
  return { db, kind: "pglite", close: () => db.destroy() };
}
