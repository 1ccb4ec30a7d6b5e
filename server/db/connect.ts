import type { PGlite } from "@electric-sql/pglite";
import { Kysely, type Transaction } from "kysely";
import pg from "pg";
import { runStatementsWith } from "./compiled.js";
import { PgDialect } from "./pg-dialect.js";
import { type Opener, openDirectory, socketAddress } from "./pglite/directory.js";
import { PgliteSession } from "./pglite/session.js";
import { PGliteDialect } from "./pglite-dialect.js";
import type { Database } from "./schema.js";
import { runScriptOnPglite, runScriptOnPool, type ScriptResult } from "./scripts.js";

export type Db = Kysely<Database>;
/** What repositories take first: the database or a transaction on it. */
export type Executor = Kysely<Database> | Transaction<Database>;

export interface DatabaseHandle {
  db: Db;
  kind: "postgres" | "pglite";
  /** For PGlite: this process opened the directory, or it goes through the server that did. */
  via?: "directory" | "owner";
  /** SQL as a person types it (dbshell): statements in one simple query, a result each. */
  runScript(text: string): Promise<ScriptResult[]>;
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
  /** Who opens a PGlite folder, and whether it serves it to others; by default it only owns it, as "another process". */
  opener?: Opener;
}

const INT8_OID = 20;
// Ids and counts are int8; every value we store fits a double exactly.
const parseInt8 = (value: string) => Number(value);

function createPool(config: pg.PoolConfig): pg.Pool {
  const pool = new pg.Pool({
    connectionTimeoutMillis: 5_000,
    idleTimeoutMillis: 30_000,
    ...config,
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
  return pool;
}

export async function connectDatabase(options: ConnectOptions): Promise<DatabaseHandle> {
  if (options.url) {
    const pool = createPool({ connectionString: options.url, max: options.poolSize ?? 10 });
    return poolHandle(pool, options.preparedStatements ?? true, "postgres");
  }
  if (options.pgliteDir.startsWith("memory://")) {
    const { PGlite } = await import("@electric-sql/pglite");
    return pgliteHandle(await PGlite.create(options.pgliteDir));
  }
  const opener = options.opener ?? { role: "client", title: "another process" };
  const access = await openDirectory(options.pgliteDir, opener, throughOwner);
  if ("client" in access) return access.client;
  const { owned } = access;
  const handle = pgliteHandle(owned.pglite, owned.session);
  return {
    ...handle,
    via: "directory",
    async close() {
      await owned.close();
      await handle.close();
    },
  };
}

/** Kysely on an open PGlite; the session lock is the one its socket (if any) shares. */
export function pgliteHandle(pglite: PGlite, session = new PgliteSession()): DatabaseHandle {
  const db = new Kysely<Database>({ dialect: new PGliteDialect(pglite, session) });
  return {
    db,
    kind: "pglite",
    runScript: (text) => runScriptOnPglite(pglite, session, text),
    close: () => db.destroy(),
  };
}

function poolHandle(pool: pg.Pool, preparedStatements: boolean, kind: DatabaseHandle["kind"]): DatabaseHandle {
  const dialect = new PgDialect({ pool, preparedStatements });
  const db = new Kysely<Database>({ dialect });
  runStatementsWith(db, dialect.runStatement);
  return { db, kind, runScript: (text) => runScriptOnPool(pool, text), close: () => db.destroy() };
}

/**
 * The owner's socket shares its one PGlite session between transactions, as
 * PgBouncer's transaction pooling does: statements go unnamed.
 */
async function throughOwner(socket: string): Promise<DatabaseHandle> {
  const pool = createPool({ ...socketAddress(socket), user: "postgres", database: "postgres", max: 1 });
  try {
    await pool.query("select 1");
  } catch (error) {
    await pool.end();
    throw error;
  }
  return { ...poolHandle(pool, false, "pglite"), via: "owner" };
}
