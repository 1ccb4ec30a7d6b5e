import { createHash } from "node:crypto";
import {
  type CompiledQuery,
  type DatabaseConnection,
  type Dialect,
  type Driver,
  type Kysely,
  PostgresAdapter,
  PostgresIntrospector,
  PostgresQueryCompiler,
  type QueryResult,
  type TransactionSettings,
} from "kysely";
import { type default as pg, Query } from "pg";

// Kysely on a `pg` pool, with named (prepared) statements as a setting.
//
// Kysely hands `pg` SQL text, and PostgreSQL would parse and plan it again on
// every call. A named statement is prepared once per connection and then only
// bound and executed, which on a busy database saves most of the work of a
// short query. Prepared statements belong to one server connection, though:
// behind a pooler that hands each transaction a different one (PgBouncer's
// `pool_mode = transaction`, PgBouncer before 1.21 or with
// `max_prepared_statements = 0`), they are missing or already taken there, so
// `preparedStatements: false` sends every statement unnamed.

export interface PgDialectOptions {
  pool: pg.Pool;
  preparedStatements: boolean;
}

export class PgDialect implements Dialect {
  private readonly driver: PgDriver;

  constructor(options: PgDialectOptions) {
    this.driver = new PgDriver(options.pool, options.preparedStatements ? new StatementNames() : undefined);
  }
  createAdapter() {
    return new PostgresAdapter();
  }
  createDriver(): Driver {
    return this.driver;
  }
  /** One statement on a connection of its own, without Kysely's executor (see `runStatement`). */
  readonly runStatement = <R>(sql: string, parameters: readonly unknown[]): Promise<R[]> =>
    this.driver.runStatement(sql, parameters);
  createQueryCompiler() {
    return new PostgresQueryCompiler();
  }
  createIntrospector(db: Kysely<unknown>) {
    return new PostgresIntrospector(db);
  }
}

// Enough for every statement the server makes; past it (an import's one-off
// statements, say) statements simply run unnamed.
const MAX_NAMED_STATEMENTS = 500;

class StatementNames {
  private readonly names = new Map<string, string>();

  nameOf(text: string): string | undefined {
    let name = this.names.get(text);
    if (name === undefined && this.names.size < MAX_NAMED_STATEMENTS) {
      name = `s${createHash("sha256").update(text).digest("hex").slice(0, 24)}`;
      this.names.set(text, name);
    }
    return name;
  }
}

class PgDriver implements Driver {
  private readonly connections = new WeakMap<pg.PoolClient, PgConnection>();

  constructor(
    private readonly pool: pg.Pool,
    private readonly names: StatementNames | undefined,
  ) {}

  async init() {}

  async acquireConnection(): Promise<DatabaseConnection> {
    return this.connectionOf(await this.pool.connect());
  }

  private connectionOf(client: pg.PoolClient): PgConnection {
    let connection = this.connections.get(client);
    if (!connection) {
      connection = new PgConnection(client, this.names);
      this.connections.set(client, connection);
    }
    return connection;
  }

  /**
   * What acquiring, executing and releasing through Kysely do for one
   * statement, with callbacks and one promise instead of a dozen async steps.
   */
  runStatement<R>(sql: string, parameters: readonly unknown[]): Promise<R[]> {
    return new Promise((resolve, reject) => {
      this.pool.connect((error, client, release) => {
        if (error || !client) {
          reject(error);
          return;
        }
        this.connectionOf(client).send<R & pg.QueryResultRow>(sql, parameters as unknown[], (failure, result) => {
          release();
          if (failure) reject(failure);
          else resolve(lastResult(result).rows ?? []);
        });
      });
    });
  }

  async beginTransaction(connection: DatabaseConnection, settings: TransactionSettings) {
    const isolation = settings.isolationLevel ? ` isolation level ${settings.isolationLevel}` : "";
    const mode = settings.accessMode ? ` ${settings.accessMode}` : "";
    await (connection as PgConnection).run(`start transaction${isolation}${mode}`);
  }

  async commitTransaction(connection: DatabaseConnection) {
    await (connection as PgConnection).run("commit");
  }

  async rollbackTransaction(connection: DatabaseConnection) {
    await (connection as PgConnection).run("rollback");
  }

  async releaseConnection(connection: DatabaseConnection) {
    (connection as PgConnection).client.release();
  }

  async destroy() {
    await this.pool.end();
  }
}

class PgConnection implements DatabaseConnection {
  constructor(
    readonly client: pg.PoolClient,
    private readonly names: StatementNames | undefined,
  ) {}

  async run(text: string): Promise<void> {
    await this.client.query(text);
  }

  async executeQuery<R>(compiled: CompiledQuery): Promise<QueryResult<R>> {
    const result = await this.submit<R & pg.QueryResultRow>(compiled.sql, compiled.parameters as unknown[]);
    const last = lastResult(result);
    const changed = ["INSERT", "UPDATE", "DELETE", "MERGE"].includes(last.command);
    return {
      rows: last.rows ?? [],
      ...(changed ? { numAffectedRows: BigInt(last.rowCount ?? 0) } : {}),
    };
  }

  private submit<T extends pg.QueryResultRow>(text: string, values: unknown[]) {
    return new Promise<pg.QueryResult<T> | pg.QueryResult<T>[]>((resolve, reject) => {
      this.send<T>(text, values, (error, result) => {
        if (error) reject(error);
        else resolve(result);
      });
    });
  }

  /**
   * `client.query(config)` copies a config object property descriptor by
   * property descriptor before it builds its Query, which took more
   * instructions than the rest of the driver's work on a short statement
   * (bench/README.md). A Query built from the text alone copies nothing; the
   * name is its own field, read when it is sent.
   */
  send<T extends pg.QueryResultRow>(
    text: string,
    values: unknown[],
    done: (error: Error | undefined, result: pg.QueryResult<T> | pg.QueryResult<T>[]) => void,
  ): void {
    // Statements without parameters (BEGIN, COMMIT, a migration's script)
    // go as simple queries: nothing to bind, and a script may hold several.
    const name = values.length > 0 ? this.names?.nameOf(text) : undefined;
    const query: Query<T> & { name?: string } = new Query<T>(text, values, done as never);
    if (name) query.name = name;
    this.client.query(query);
  }

  // biome-ignore lint/correctness/useYield: nothing here streams; fail loudly if asked.
  async *streamQuery<R>(): AsyncIterableIterator<QueryResult<R>> {
    throw new Error("streaming queries are not supported");
  }
}

/** A script of several statements answers one result each; the last one counts. */
const lastResult = <T extends pg.QueryResultRow>(result: pg.QueryResult<T> | pg.QueryResult<T>[]) =>
  (Array.isArray(result) ? result.at(-1) : result) as pg.QueryResult<T>;
