import { type CompiledQuery, sql } from "kysely";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import type { Executor } from "../../server/db/connect.js";
import { insertTask, listTasks } from "../../server/db/repositories/tasks.js";
import {
  findAcceptedProfile,
  findTokenUser,
  isTokenAccepted,
  type TokenClaims,
} from "../../server/db/repositories/users.js";
import { createTestDatabase, type TestDatabase } from "../helpers/database.js";
import { explainExecute, sqlLiteral, userWithSessions } from "../helpers/plans.js";

/**
 * Every statement that checks an access token itself (verify, the profile,
 * authentication, the task statements) checks its session. A server's
 * connections keep a prepared statement's generic plan until the tables are
 * analyzed again, which with autovacuum off (or behind) is never: the plan
 * made while the user had three sessions must stay a few page reads once it
 * has thousands. Correlated with the user's row, the check was planned
 * through `refresh_families.user_id` and run once per task of a list: in
 * `npm run bench`, S5's PostgreSQL CPU per list grew 0.13 → 0.20 ms over three
 * rounds, while S2 gave the same users new sessions.
 */

let database: TestDatabase;
let claims: TokenClaims;
beforeAll(async () => {
  database = await createTestDatabase();
  const { db } = database;
  const userId = await userWithSessions(db, "token-plan", 3);
  claims = { userId, version: 0, sid: "token-plan-family-2" };
  for (let i = 0; i < 20; i += 1) {
    await insertTask(db, { userId }, { title: `task ${i}`, description: "", isCompleted: false });
  }
});
afterAll(() => database.close());

/** The SQL and parameters a repository function sends, captured on a copy that goes through Kysely's executor. */
async function statementOf(run: (db: Executor) => Promise<unknown>): Promise<CompiledQuery> {
  const copy = database.db.withPlugin({ transformQuery: ({ node }) => node, transformResult: async (a) => a.result });
  const executeQuery = vi.spyOn(copy, "executeQuery");
  await run(copy);
  const [query] = executeQuery.mock.calls.at(-1) as [CompiledQuery];
  return query;
}

const statements: Array<[string, (db: Executor) => Promise<unknown>]> = [
  ["the task list", (db) => listTasks(db, { userId: claims.userId, token: claims }, {}, [])],
  ["the profile", (db) => findAcceptedProfile(db, claims)],
  ["verify", (db) => isTokenAccepted(db, claims)],
  ["authentication", (db) => findTokenUser(db, claims)],
];

describe("a token's session check, planned while the tables were small", () => {
  it("still reads a few pages once the user has thousands of sessions", async () => {
    const prepared = await Promise.all(statements.map(async ([what, run]) => ({ what, ...(await statementOf(run)) })));
    const pages = await database.db.connection().execute(async (connection) => {
      await sql.raw("set plan_cache_mode = force_generic_plan").execute(connection);
      for (const [i, { sql: text, parameters }] of prepared.entries()) {
        await sql.raw(`prepare token_check_${i} as ${text}`).execute(connection);
        // Planned now, on three sessions.
        await sql.raw(`execute token_check_${i}(${parameters.map(sqlLiteral).join(", ")})`).execute(connection);
      }
      await sql`insert into refresh_families (id, user_id, expires_at)
                select 'token-plan-history-' || f, ${claims.userId}, now() + interval '30 days'
                from generate_series(1, 5000) f`.execute(connection);
      const read: Record<string, number> = {};
      for (const [i, { what, parameters }] of prepared.entries()) {
        const plan = await explainExecute(connection, `token_check_${i}`, parameters);
        await sql.raw(`deallocate token_check_${i}`).execute(connection);
        expect(plan.indexes, what).not.toContain("refresh_families_user_id_idx");
        read[what] = plan.pages;
      }
      await sql.raw("reset plan_cache_mode").execute(connection);
      return read;
    });
    // The list's tasks are about 20 pages of them; the check itself, a couple.
    const bounds = { "the task list": 40, "the profile": 10, verify: 10, authentication: 10 };
    expect(Object.entries(pages).filter(([what, read]) => read >= bounds[what as keyof typeof bounds])).toEqual([]);
  });

  it("still refuses a session of another user, an ended one and none", async () => {
    const [other] = (
      await sql<{ id: number }>`
        insert into users (username, email, password_hash) values ('token-plan-2', 'token-plan-2@example.com', 'x')
        returning id`.execute(database.db)
    ).rows;
    await sql`update refresh_families set revoked_at = now() where id = 'token-plan-family-3'`.execute(database.db);
    const otherId = (other as { id: number }).id;
    expect(await isTokenAccepted(database.db, claims)).toBe(true);
    expect(await isTokenAccepted(database.db, { ...claims, userId: otherId })).toBe(false);
    expect(await isTokenAccepted(database.db, { ...claims, sid: "token-plan-family-3" })).toBe(false);
    expect(await isTokenAccepted(database.db, { ...claims, sid: "no-such-family" })).toBe(false);
    expect(await listTasks(database.db, { userId: otherId, token: { ...claims, userId: otherId } }, {}, [])).toBe(
      undefined,
    );
    expect(await listTasks(database.db, { userId: claims.userId, token: claims }, {}, [])).toHaveLength(20);
  });
});
