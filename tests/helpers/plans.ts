import { type CompiledQuery, sql } from "kysely";
import type { Db, Executor } from "../../server/db/connect.js";

// What PostgreSQL did for one `execute` of a prepared statement: the indexes
// its plan used and the pages it read. The plan tests hold hot statements to a
// few page reads under plans made while the tables were small.

interface PlanNode {
  "Index Name"?: string;
  "Shared Hit Blocks": number;
  "Shared Read Blocks": number;
  "Actual Rows": number;
  Plans?: PlanNode[];
}

interface Explained {
  Plan: PlanNode;
  Triggers?: Array<{ "Trigger Name": string; "Constraint Name"?: string }>;
}

const indexesOf = (node: PlanNode): string[] => [
  ...(node["Index Name"] ? [node["Index Name"]] : []),
  ...(node.Plans ?? []).flatMap(indexesOf),
];

const text = (value: unknown) => (value instanceof Date ? value.toISOString() : String(value));

/** A parameter written into `execute name(…)`; an array as an array literal. */
export const sqlLiteral = (value: unknown): string =>
  value === null || value === undefined
    ? "null"
    : Array.isArray(value)
      ? sqlLiteral(
          `{${value.map((item) => `"${text(item).replaceAll("\\", "\\\\").replaceAll('"', '\\"')}"`).join(",")}}`,
        )
      : `'${text(value).replaceAll("'", "''")}'`;

/**
 * `execute name(parameters)` under EXPLAIN ANALYZE: the rows it answered, the
 * indexes read, the pages read, and the triggers fired (a foreign key's check,
 * by its constraint's name).
 */
export async function explainExecute(db: Executor, name: string, parameters: readonly unknown[]) {
  const { rows } = await sql
    .raw<{ "QUERY PLAN": Explained[] }>(
      `explain (analyze, buffers, format json) execute ${name}(${parameters.map(sqlLiteral).join(", ")})`,
    )
    .execute(db);
  const explained = (rows[0] as { "QUERY PLAN": Explained[] })["QUERY PLAN"][0] as Explained;
  const plan = explained.Plan;
  return {
    rows: plan["Actual Rows"],
    indexes: indexesOf(plan),
    pages: plan["Shared Hit Blocks"] + plan["Shared Read Blocks"],
    // The top node counts what it read of its subplans; writing CTEs that it does not read run apart, counted here.
    subplanPages: (plan.Plans ?? []).reduce(
      (sum, child) => sum + child["Shared Hit Blocks"] + child["Shared Read Blocks"],
      0,
    ),
    triggers: (explained.Triggers ?? []).map((trigger) => trigger["Constraint Name"] ?? trigger["Trigger Name"]),
  };
}

/** A user named `name` with `sessions` live sessions (`${name}-family-1`, …), as the plans' first calls see them. */
export async function userWithSessions(db: Executor, name: string, sessions: number): Promise<number> {
  const { rows } = await sql<{ id: number }>`
    insert into users (username, email, password_hash) values (${name}, ${`${name}@example.com`}, 'x')
    returning id`.execute(db);
  const userId = (rows[0] as { id: number }).id;
  await sql`insert into refresh_families (id, user_id, expires_at)
            select ${`${name}-family-`} || f, ${userId}, now() + interval '30 days'
            from generate_series(1, ${sessions}::int) f`.execute(db);
  return userId;
}

class Rollback extends Error {}

/** `explainExecute` of `statement`, prepared in a transaction that is then rolled back (nothing it writes stays). */
export async function explainRolledBack(db: Db, statement: CompiledQuery, planCacheMode?: string) {
  let plan: Awaited<ReturnType<typeof explainExecute>> | undefined;
  await db
    .transaction()
    .execute(async (trx) => {
      if (planCacheMode) await sql.raw(`set local plan_cache_mode = ${planCacheMode}`).execute(trx);
      await sql.raw(`prepare explained as ${statement.sql}`).execute(trx);
      plan = await explainExecute(trx, "explained", statement.parameters);
      await sql.raw("deallocate explained").execute(trx);
      throw new Rollback();
    })
    .catch((error: unknown) => {
      if (!(error instanceof Rollback)) throw error;
    });
  return plan as NonNullable<typeof plan>;
}

/**
 * The generic plan a server's connection keeps: `first` is prepared and run
 * once on one connection (planned then), `grow` adds rows, and `later` is
 * explained under that same plan.
 */
export async function explainCachedPlan(
  db: Db,
  first: CompiledQuery,
  grow: (connection: Executor) => Promise<void>,
  later: CompiledQuery,
) {
  return db.connection().execute(async (connection) => {
    await sql.raw("set plan_cache_mode = force_generic_plan").execute(connection);
    await sql.raw(`prepare cached as ${first.sql}`).execute(connection);
    await sql.raw(`execute cached(${first.parameters.map(sqlLiteral).join(", ")})`).execute(connection);
    await grow(connection);
    const plan = await explainExecute(connection, "cached", later.parameters);
    await sql.raw("deallocate cached").execute(connection);
    await sql.raw("reset plan_cache_mode").execute(connection);
    return plan;
  });
}
