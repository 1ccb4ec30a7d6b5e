import { sql } from "kysely";
import type { Executor } from "../../server/db/connect.js";

// What PostgreSQL did for one `execute` of a prepared statement: the indexes
// its plan used and the pages it read. The plan tests hold hot statements to a
// few page reads under plans made while the tables were small.

interface PlanNode {
  "Index Name"?: string;
  "Shared Hit Blocks": number;
  "Shared Read Blocks": number;
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

/** A parameter written into `execute name(…)`. */
export const sqlLiteral = (value: unknown) =>
  value === null || value === undefined
    ? "null"
    : `'${(value instanceof Date ? value.toISOString() : String(value)).replaceAll("'", "''")}'`;

/**
 * `execute name(parameters)` under EXPLAIN ANALYZE: the indexes read, the pages
 * read, and the triggers fired (a foreign key's check, by its constraint's name).
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
    indexes: indexesOf(plan),
    pages: plan["Shared Hit Blocks"] + plan["Shared Read Blocks"],
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
